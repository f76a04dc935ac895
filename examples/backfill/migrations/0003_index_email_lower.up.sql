CREATE UNIQUE INDEX accounts_email_lower ON accounts (email_lower);
