//! Which offsets a consumer may commit.
//!
//! A consumer hands messages to the pipeline in offset order per partition, but confirms
//! come back later (a batch at a time, after the sink or the next topic has them). The
//! tracker remembers the offsets in flight and moves a partition's commit point only
//! over a contiguous run of confirmed ones: committing offset N+1 promises that
//! everything up to N is done, never more. After a crash the group resumes at the commit
//! point, so what is reprocessed is at most what was in flight — and the sinks, keyed by
//! post uid, store it once.
//!
//! Each assignment of a partition gets a fresh epoch: messages read under an earlier
//! assignment (before a rebalance took the partition away) are recognised and dropped
//! instead of being handed on out of order.

use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Default)]
struct PartitionState {
    epoch: u64,
    /// Offsets handed on and not yet passed by the commit point → confirmed yet?
    in_flight: BTreeMap<i64, bool>,
    /// The offset to commit: one past the last of the contiguous confirmed run.
    next_commit: Option<i64>,
    /// What was last committed (or sent to be committed).
    committed: Option<i64>,
}

/// The in-flight offsets of one consumer's assigned partitions (one topic).
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<i32, PartitionState>,
    epochs: u64,
    /// Bumped on every assignment change, so a paused consumer knows to pause again.
    pub assignment_version: u64,
    /// Messages whose commit point moved past them since the last commit, over all
    /// partitions: what a crash now would make the group read again, besides what is in
    /// flight.
    confirmed_since_commit: usize,
}

impl OffsetTracker {
    pub fn new() -> OffsetTracker {
        OffsetTracker::default()
    }

    /// A partition was assigned: it starts empty, under a new epoch (returned).
    pub fn assign(&mut self, partition: i32) -> u64 {
        self.epochs += 1;
        self.assignment_version += 1;
        self.partitions.insert(partition, PartitionState { epoch: self.epochs, ..PartitionState::default() });
        self.epochs
    }

    /// A partition was revoked. Returns the offset still to commit for it, if any.
    pub fn revoke(&mut self, partition: i32) -> Option<i64> {
        self.assignment_version += 1;
        let state = self.partitions.remove(&partition)?;
        state.next_commit.filter(|n| Some(*n) > state.committed)
    }

    pub fn assigned(&self) -> Vec<i32> {
        let mut p: Vec<i32> = self.partitions.keys().copied().collect();
        p.sort_unstable();
        p
    }

    /// The epoch of the current assignment of `partition`, if it is assigned.
    pub fn epoch(&self, partition: i32) -> Option<u64> {
        self.partitions.get(&partition).map(|s| s.epoch)
    }

    /// A message was handed on. Ignored when the partition is not assigned.
    pub fn dispatched(&mut self, partition: i32, offset: i64) {
        if let Some(state) = self.partitions.get_mut(&partition) {
            state.in_flight.insert(offset, false);
        }
    }

    /// The results of a message are confirmed. Confirms of offsets not in flight (a
    /// message of an earlier assignment, confirmed late) change nothing.
    pub fn done(&mut self, partition: i32, offset: i64) {
        let Some(state) = self.partitions.get_mut(&partition) else { return };
        match state.in_flight.get_mut(&offset) {
            Some(done) => *done = true,
            None => return,
        }
        while let Some((&first, &true)) = state.in_flight.first_key_value() {
            state.in_flight.pop_first();
            state.next_commit = Some(first + 1);
            self.confirmed_since_commit += 1;
        }
    }

    /// Messages confirmed since the last commit (see the field).
    pub fn confirmed_since_commit(&self) -> usize {
        self.confirmed_since_commit
    }

    pub fn in_flight(&self, partition: i32) -> usize {
        self.partitions.get(&partition).map_or(0, |s| s.in_flight.len())
    }

    pub fn total_in_flight(&self) -> usize {
        self.partitions.values().map(|s| s.in_flight.len()).sum()
    }

    /// Offsets that moved since they were last committed: `(partition, next offset)`.
    pub fn uncommitted(&self) -> Vec<(i32, i64)> {
        let mut out: Vec<(i32, i64)> = self
            .partitions
            .iter()
            .filter_map(|(p, s)| s.next_commit.filter(|n| Some(*n) > s.committed).map(|n| (*p, n)))
            .collect();
        out.sort_unstable();
        out
    }

    /// Every partition's commit point, moved or not (for the final synchronous commit).
    pub fn commit_points(&self) -> Vec<(i32, i64)> {
        let mut out: Vec<(i32, i64)> = self.partitions.iter().filter_map(|(p, s)| s.next_commit.map(|n| (*p, n))).collect();
        out.sort_unstable();
        out
    }

    pub fn mark_committed(&mut self, offsets: &[(i32, i64)]) {
        // Every moved partition is committed at once (`uncommitted`), so the count starts
        // over; confirmations racing with the commit are merely counted late.
        self.confirmed_since_commit = 0;
        for (p, n) in offsets {
            if let Some(state) = self.partitions.get_mut(p) {
                state.committed = state.committed.max(Some(*n));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_over_a_contiguous_confirmed_run() {
        let mut t = OffsetTracker::new();
        t.assign(0);
        for o in 10..15 {
            t.dispatched(0, o);
        }
        t.done(0, 11);
        t.done(0, 12);
        assert!(t.uncommitted().is_empty(), "10 is not confirmed: nothing may be committed");
        t.done(0, 10);
        assert_eq!(t.uncommitted(), vec![(0, 13)]);
        t.mark_committed(&[(0, 13)]);
        assert!(t.uncommitted().is_empty());
        assert_eq!(t.in_flight(0), 2);
        t.done(0, 14);
        assert!(t.uncommitted().is_empty(), "13 is still open: the commit point stays at 13");
        t.done(0, 13);
        assert_eq!(t.uncommitted(), vec![(0, 15)]);
        assert_eq!(t.total_in_flight(), 0);
    }

    #[test]
    fn counts_what_a_crash_would_read_again() {
        let mut t = OffsetTracker::new();
        t.assign(0);
        t.assign(1);
        for o in 0..4 {
            t.dispatched(0, o);
            t.dispatched(1, o);
        }
        t.done(0, 1); // not contiguous yet: a crash re-reads it anyway, as in flight
        assert_eq!(t.confirmed_since_commit(), 0);
        t.done(0, 0);
        t.done(1, 0);
        assert_eq!(t.confirmed_since_commit(), 3);
        t.mark_committed(&t.uncommitted());
        assert_eq!(t.confirmed_since_commit(), 0);
        t.done(1, 1);
        assert_eq!(t.confirmed_since_commit(), 1);
    }

    #[test]
    fn gaps_in_offsets_do_not_block() {
        // Compacted topics and transaction markers leave holes in the offsets.
        let mut t = OffsetTracker::new();
        t.assign(3);
        t.dispatched(3, 5);
        t.dispatched(3, 9);
        t.done(3, 9);
        t.done(3, 5);
        assert_eq!(t.uncommitted(), vec![(3, 10)]);
    }

    #[test]
    fn revoking_returns_what_is_left_to_commit_and_forgets_late_confirms() {
        let mut t = OffsetTracker::new();
        let first = t.assign(1);
        t.dispatched(1, 0);
        t.dispatched(1, 1);
        t.done(1, 0);
        assert_eq!(t.revoke(1), Some(1));
        assert_eq!(t.epoch(1), None);
        t.done(1, 1); // confirmed after the revoke: ignored
        t.dispatched(1, 2); // not assigned: ignored
        assert_eq!(t.total_in_flight(), 0);
        let second = t.assign(1);
        assert!(second > first);
        assert!(t.uncommitted().is_empty());
    }

    #[test]
    fn a_stale_confirm_of_an_offset_in_flight_again_counts() {
        // Reassigned and read again: the earlier run's confirm means the work is done.
        let mut t = OffsetTracker::new();
        t.assign(0);
        t.dispatched(0, 7);
        t.revoke(0);
        t.assign(0);
        t.dispatched(0, 7);
        t.done(0, 7);
        t.done(0, 7);
        assert_eq!(t.uncommitted(), vec![(0, 8)]);
    }
}
