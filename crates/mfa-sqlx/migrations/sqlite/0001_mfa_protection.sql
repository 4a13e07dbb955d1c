-- One row per account: its protection record, sealed (mfa::RecordCodec,
-- the account id as associated data), and the record's version, the i64
-- of its 64 bits, for compare-and-set.
CREATE TABLE mfa_protection (
    account TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL,
    record  BLOB NOT NULL
) STRICT;
