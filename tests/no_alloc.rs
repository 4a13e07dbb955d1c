//! Proves that making and checking codes does not touch the heap: a
//! counting global allocator sees no allocation in `generate`, `verify`,
//! `verify_with_drift`, `resync` or `Code::parse`, for every algorithm.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
#![allow(unsafe_code)] // `GlobalAlloc` is an unsafe trait; this is test-only.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use mfa::{Algorithm, Code, Digits, Hotp, HotpConfig, Secret, Totp, TotpConfig, Window};

thread_local! {
    // Per thread, so that the test harness's own allocations on other
    // threads are not counted.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn the_counter_counts() {
    // Guards against a test that cannot fail: a Vec is seen.
    assert_eq!(
        allocations_in(|| drop(std::hint::black_box(vec![1u8; 8]))),
        1
    );
}

#[test]
fn generate_and_verify_do_not_allocate() {
    for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
        let secret = Secret::generate_for(algorithm).expect("random source");
        let config = TotpConfig::builder()
            .algorithm(algorithm)
            .digits(Digits::EIGHT)
            .window(Window::symmetric(Window::MAX).expect("MAX"))
            .build()
            .unwrap();
        let totp = Totp::new(&secret, config).expect("valid");
        let hotp = Hotp::new(
            &secret,
            HotpConfig::builder().algorithm(algorithm).build().unwrap(),
        )
        .expect("valid");
        let now = 1_700_000_000;
        // Prepared outside the measured closures: the inputs a server gets.
        let good = totp.generate(now).expect("after T0").to_string();
        let next = totp.generate(now + 30).expect("after T0").to_string();
        let hotp_good = hotp.generate(3).to_string();

        let n = allocations_in(|| {
            let code = totp.generate(now).expect("after T0");
            std::hint::black_box(&code);
            std::hint::black_box(totp.verify(&good, now, None)).expect("accepted");
            let _ = std::hint::black_box(totp.verify("00000000", now, Some(0)));
            let _ = std::hint::black_box(totp.verify_with_drift(&good, now, -2, None));
            let _ = std::hint::black_box(totp.resync(&good, &next, now, None));
            let _ = std::hint::black_box(Code::parse("1234 5678", Digits::EIGHT));
            std::hint::black_box(hotp.generate(7));
            std::hint::black_box(hotp.verify(&hotp_good, None)).expect("accepted");
            let _ = std::hint::black_box(hotp.resync(&hotp_good, &hotp_good, Some(0)));
        });
        assert_eq!(n, 0, "{algorithm}: {n} allocations");
    }
}
