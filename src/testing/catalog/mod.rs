//! Catalog snapshots (placeholder, being written).
