-- One row per account: its protection record, sealed (mfa::RecordCodec,
-- the account id as associated data), and the record's version, the
-- BIGINT of its 64 bits, for compare-and-set.
CREATE TABLE mfa_protection (
    account TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    record  BYTEA NOT NULL
);
