-- One row per SMS send budget, shared by all accounts (mfa::SendBudget):
-- its id (mfa::BudgetId: a keyed hash of a number, or a prefix), the
-- record sealed (mfa::RecordCodec, in the budget context, the id as
-- associated data), and its version for compare-and-set.
CREATE TABLE mfa_send_budget (
    id      TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    record  BYTEA NOT NULL
);
