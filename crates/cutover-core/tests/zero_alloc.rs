//! Evaluation allocates nothing: a counting global allocator watches it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design
#![allow(unsafe_code)] // implementing GlobalAlloc is unsafe by definition

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use cutover_core::{
    AttributeName, Constraint, Context, EnvOverrides, Flag, FlagKey, Override, Rollout, Snapshot,
    Stage, Timestamp, Variant,
};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Only the thread under test counts: the test harness allocates on its own threads.
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if WATCHED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn evaluating_allocates_nothing() {
    let now = Timestamp::from_second(1_800_000_000).unwrap();
    let mut rollout = Flag::new(FlagKey::new("scoped-rollout").unwrap());
    rollout.rollout = Rollout::from_bps(5_000).unwrap();
    rollout
        .scope
        .push(Constraint::parse("tenant in acme,globex").unwrap());
    rollout.overrides.push(Override {
        attribute: AttributeName::new("user_id").unwrap(),
        value: "vip".into(),
        variant: Variant::New,
        expires_at: Some(Timestamp::from_second(1_900_000_000).unwrap()),
    });
    let mut fixed = Flag::new(FlagKey::new("static").unwrap());
    fixed.stage = Stage::Production;
    fixed.rollout = Stage::Production.rollout();
    fixed.killed = true;
    let snap = Snapshot::compile([&rollout, &fixed], &EnvOverrides::none());
    let contexts: Vec<Context> = (0..2_000)
        .map(|i| {
            Context::new()
                .with("user_id", &format!("user-{i}"))
                .with("tenant", "acme")
        })
        .collect();
    let vip = Context::new().with("user_id", "vip").with("tenant", "acme");
    let handle = snap.handle("scoped-rollout").unwrap();

    WATCHED.with(|w| w.set(true));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut new = 0usize;
    for ctx in contexts.iter().chain([&vip]) {
        new += usize::from(snap.flag(handle).variant(ctx, now).is_new());
        new += usize::from(
            snap.decide("scoped-rollout", ctx, now, Variant::Legacy)
                .is_new(),
        );
        new += usize::from(snap.decide("static", ctx, now, Variant::Legacy).is_new());
        new += usize::from(snap.decide("missing", ctx, now, Variant::Legacy).is_new());
    }
    // A typical context is built inline, and borrowed attributes need no context at all.
    let built = Context::new()
        .with("user_id", "user-123456")
        .with("tenant", "acme")
        .with("session_id", "s-1");
    let borrowed = [("user_id", "user-7"), ("tenant", "globex")];
    let extra = usize::from(snap.flag(handle).variant(&built, now).is_new())
        + usize::from(snap.flag(handle).variant(&borrowed[..], now).is_new());
    std::hint::black_box(extra);
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    WATCHED.with(|w| w.set(false));

    assert_eq!(
        after - before,
        0,
        "evaluation allocated {} times",
        after - before
    );
    assert!(
        (1_800..2_300).contains(&new),
        "about half of 2 x 2,001 contexts should be new, got {new}"
    );
}
