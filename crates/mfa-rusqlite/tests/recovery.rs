//! The recovery codes' count on a real store: a `RusqliteStore` on a
//! database file, every step through `mfa::run_blocking` and read back from
//! the file (issue 13, item 3). Four codes, "low" at one left: the count
//! goes down by one per use, the notice changes at the boundary, and the
//! last code's proof makes a new set.

#![allow(clippy::expect_used, clippy::indexing_slicing)]

use mfa::{Audit, Event, Protection, Scenario, Store, TotpRecord, Verification};

mod common;

use common::{flows_with, open};

const T0: u64 = 1_700_000_010;
const ADA: &str = "ada";

fn load(store: &mfa_rusqlite::RusqliteStore) -> Protection<TotpRecord> {
    Store::load(store, ADA).expect("loads").expect("stored")
}

#[test]
fn the_count_goes_down_on_the_file_and_low_is_said_at_its_boundary() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(&dir.path().join("mfa.db"));
    // Four recovery codes, low at one left.
    let flows = flows_with(4, 1);

    // Protection on, with an app: four recovery codes shown once.
    let (_, mut codes) = common::enroll(&flows, &store, ADA, T0);
    assert_eq!(load(&store).recovery_codes_left(), Some(4));

    // Each log-on with a recovery code: what is left, and what is said.
    let (mut proof, mut last) = (None, T0);
    for (i, (left, event)) in [
        (3, Event::RecoveryCodeUsed { remaining: 3 }),
        (2, Event::RecoveryCodeUsed { remaining: 2 }),
        (1, Event::RecoveryCodesLow { remaining: 1 }),
        (0, Event::RecoveryCodesLow { remaining: 0 }),
    ]
    .into_iter()
    .enumerate()
    {
        let now = T0 + 3_600 * (1 + i as u64);
        let v = mfa::run_blocking(&store, ADA, |a| {
            Verification::start(&flows, a, Scenario::LogOn, None, now)
        })
        .state
        .expect("a challenge");
        let code = codes.remove(0);
        let ran = mfa::run_blocking(&store, ADA, |a| v.respond_recovery(&flows, a, &code, now));
        assert_eq!(ran.result, Ok(()));
        assert_eq!(ran.notices().collect::<Vec<_>>(), [(event, now)]);
        assert_eq!(
            ran.audit().cloned().collect::<Vec<_>>(),
            [Audit::RecoveryCodeUsed { remaining: left }]
        );
        assert_eq!(load(&store).recovery_codes_left(), Some(left));
        proof = ran.state.and_then(|v| v.verified().cloned());
        last = now;
    }

    // The last code's proof, still fresh, makes a new set of four.
    let now = last + 10;
    let proof = proof.expect("the last code passed");
    let ran = mfa::run_blocking(&store, ADA, |a| {
        a.regenerate_recovery_codes(&flows, &proof, now)
    });
    assert_eq!(ran.result, Ok(()));
    assert_eq!(ran.recovery_codes().map(<[_]>::len), Some(4));
    assert_eq!(
        ran.audit().cloned().collect::<Vec<_>>(),
        [Audit::RecoveryCodesRegenerated]
    );
    assert_eq!(load(&store).recovery_codes_left(), Some(4));
}
