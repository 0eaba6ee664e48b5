//! What lets the flow table expire idle flows without looking at the others: the flows live
//! in a [`Slab`] (fixed slots, reused, never moved), and [`Deadlines`] orders their slots by
//! the time each becomes due, earliest first (a binary heap, as Zeek's timer manager keeps
//! its timers). Expiring at a time `now` pops only the entries due by then: the cost of a
//! batch follows the flows that are due, not the flows that are alive.
//!
//! The heap is lazy. A flow keeps the time of its one valid entry ([`Flow::scheduled`]
//! in the flow table); a packet that moves the flow's deadline later does not touch the
//! heap, and when the old entry comes up the flow is looked at again and, still alive,
//! scheduled at its new deadline (once per idle timeout at most for a busy flow). A deadline
//! that moves earlier (a TCP connection that closes gets the short closed timeout) is pushed
//! at once. Entries whose flow is gone or was rescheduled are skipped when they come up, and
//! dropped all at once when they outnumber the live flows (see [`Deadlines::compact_if`]).
//!
//! [`Flow::scheduled`]: super::Flow

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A flow's place in the [`Slab`].
pub type Slot = u32;

/// Slots per chunk: a chunk is allocated once and never moves, so a growing table never
/// copies its flows (nor holds them twice while it grows).
const CHUNK: usize = 256;

/// Values in fixed slots, allocated by chunks of [`CHUNK`]; a freed slot is reused first (the
/// memory it touches is still in cache).
#[derive(Debug)]
pub struct Slab<T> {
    chunks: Vec<Box<[Option<T>]>>,
    free: Vec<Slot>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            chunks: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `v` and returns its slot.
    pub fn insert(&mut self, v: T) -> Slot {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                let first = self.chunks.len() * CHUNK;
                self.chunks.push((0..CHUNK).map(|_| None).collect());
                // Handed out lowest first.
                self.free
                    .extend((first + 1..first + CHUNK).rev().map(|s| s as Slot));
                first as Slot
            }
        };
        let cell = &mut self.chunks[slot as usize / CHUNK][slot as usize % CHUNK];
        debug_assert!(cell.is_none());
        *cell = Some(v);
        slot
    }

    fn cell(&mut self, slot: Slot) -> Option<&mut Option<T>> {
        self.chunks
            .get_mut(slot as usize / CHUNK)?
            .get_mut(slot as usize % CHUNK)
    }

    /// The value in `slot`, if any.
    pub fn get(&self, slot: Slot) -> Option<&T> {
        self.chunks
            .get(slot as usize / CHUNK)?
            .get(slot as usize % CHUNK)?
            .as_ref()
    }

    /// The value in `slot`, if any.
    pub fn get_mut(&mut self, slot: Slot) -> Option<&mut T> {
        self.cell(slot)?.as_mut()
    }

    /// Drops the value in `slot` where it is, freeing the slot.
    pub fn remove(&mut self, slot: Slot) {
        if let Some(cell) = self.cell(slot) {
            if cell.take().is_some() {
                self.free.push(slot);
            }
        }
    }

}

/// Slots ordered by the time they are due, earliest first; see the module's note.
#[derive(Debug, Default)]
pub struct Deadlines {
    heap: BinaryHeap<Reverse<(i64, Slot)>>,
}

impl Deadlines {
    /// Schedules `slot` to be looked at once the time reaches `at`.
    pub fn push(&mut self, at: i64, slot: Slot) {
        self.heap.push(Reverse((at, slot)));
    }

    /// Takes the earliest entry due at `now` (its time is `now` or earlier), if any.
    pub fn pop_due(&mut self, now: i64) -> Option<(i64, Slot)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.heap = BinaryHeap::new();
    }

    /// When the entries are more than twice `live` (plus some slack), keeps only those for
    /// which `valid` holds: stale entries then cost memory in proportion to the live flows,
    /// and their removal, linear, is paid for by the pushes that made them.
    pub fn compact_if(&mut self, live: usize, mut valid: impl FnMut(i64, Slot) -> bool) {
        if self.heap.len() > live.saturating_mul(2).saturating_add(1024) {
            self.heap.retain(|Reverse((at, s))| valid(*at, *s));
        }
    }
}

/// The first time `now` at which a flow last seen at `last_ns`, with an idle limit of
/// `limit_ns`, is over: exactly the times where `now.saturating_sub(last_ns) > limit_ns`
/// holds. `None` when no time does.
pub fn due_at(last_ns: i64, limit_ns: i64) -> Option<i64> {
    if limit_ns == i64::MAX {
        // The difference saturates at i64::MAX, never above.
        return None;
    }
    let t = i128::from(last_ns) + i128::from(limit_ns) + 1;
    if t > i128::from(i64::MAX) {
        None
    } else {
        Some(t.max(i128::from(i64::MIN)) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_at_matches_the_idle_test() {
        let vals = [
            i64::MIN,
            i64::MIN + 1,
            -5_000_000_000,
            -1,
            0,
            1,
            4_999_999_999,
            5_000_000_000,
            300_000_000_000,
            i64::MAX - 1,
            i64::MAX,
        ];
        for &last in &vals {
            for &limit in &vals {
                let due = due_at(last, limit);
                for &now in &vals {
                    let idle = now.saturating_sub(last) > limit;
                    assert_eq!(
                        idle,
                        due.is_some_and(|d| d <= now),
                        "last {last} limit {limit} now {now} due {due:?}"
                    );
                }
                if let Some(d) = due {
                    assert!(d.saturating_sub(last) > limit || d == i64::MIN);
                    if d > i64::MIN {
                        assert!((d - 1).saturating_sub(last) <= limit);
                    }
                }
            }
        }
    }

    #[test]
    fn slab_reuses_slots_and_never_moves_values() {
        let mut s: Slab<u64> = Slab::default();
        let a: Vec<Slot> = (0..600).map(|i| s.insert(i)).collect();
        assert_eq!(a[..3], [0, 1, 2]);
        let p = s.get(7).map(|v| v as *const u64);
        for i in 300..600 {
            s.insert(i);
        }
        assert_eq!(s.get(7).map(|v| v as *const u64), p);
        s.remove(5);
        s.remove(5);
        assert_eq!(s.get(5), None);
        assert_eq!(s.insert(42), 5);
        assert_eq!(s.get(5), Some(&42));
        assert_eq!(s.get(100_000), None);
    }

    #[test]
    fn deadlines_pop_in_time_order_and_only_when_due() {
        let mut d = Deadlines::default();
        for (at, s) in [(30, 3), (10, 1), (20, 2), (10, 0)] {
            d.push(at, s);
        }
        assert_eq!(d.pop_due(9), None);
        assert_eq!(d.pop_due(10), Some((10, 0)));
        assert_eq!(d.pop_due(10), Some((10, 1)));
        assert_eq!(d.pop_due(10), None);
        assert_eq!(d.pop_due(100), Some((20, 2)));
        d.compact_if(0, |_, s| s != 3);
        assert_eq!(d.heap.len(), 1); // under the slack: kept
        for i in 0..2000 {
            d.push(50, 10 + i);
        }
        d.compact_if(0, |_, s| s == 3);
        assert_eq!(d.pop_due(i64::MAX), Some((30, 3)));
        assert_eq!(d.pop_due(i64::MAX), None);
    }
}
