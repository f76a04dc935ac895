-- migrate:no-transaction
DROP RULE ruled_log ON ruled;
