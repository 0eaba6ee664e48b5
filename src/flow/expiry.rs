//! What lets the flow table expire idle flows without looking at the others: the flows live
//! in a [`Slab`] (fixed slots, reused, never moved), and [`Deadlines`] orders their slots by
//! the time each becomes due, earliest first (a queue per idle limit, as a flow manager keeps
//! one list per timeout, with a binary heap for the deadlines that come out of order).
//! Expiring at a time `now` pops only the entries due by then: the cost of a batch follows
//! the flows that are due, not the flows that are alive.
//!
//! The queues are lazy. A flow keeps the time of its one valid entry ([`Flow::scheduled`]
//! in the flow table); a packet that moves the flow's deadline later does not touch the
//! queues, and when the old entry comes up the flow is looked at again and, still alive,
//! scheduled at its new deadline (once per idle timeout at most for a busy flow). A deadline
//! that moves earlier (a TCP connection that closes gets the short closed timeout) is pushed
//! at once. Entries whose flow is gone or was rescheduled are skipped when they come up, and
//! dropped all at once when they outnumber the live flows (see [`Deadlines::compact_if`]).
//!
//! [`Flow::scheduled`]: super::Flow

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

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
    /// Stores the value `make` returns and returns its slot (the value can be built in
    /// place, not on the stack and then copied).
    #[inline]
    pub fn insert_with(&mut self, make: impl FnOnce() -> T) -> Slot {
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
        *cell = Some(make());
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

    /// Drops the value in `slot` where it is (`take` would move it out first), freeing the
    /// slot.
    pub fn remove(&mut self, slot: Slot) {
        if let Some(cell) = self.cell(slot) {
            if cell.is_some() {
                *cell = None;
                self.free.push(slot);
            }
        }
    }

}

/// Slots ordered by the time they are due, earliest first; see the module's note.
///
/// A deadline is a packet's time plus an idle limit, and the limits are few (TCP, TCP once
/// closed, UDP, ICMP): with packets in time order, the deadlines of one limit come in time
/// order too. So each limit has a lane, a plain queue, where a deadline goes at the back in
/// O(1); one that would not be the latest of its lane (a capture whose clock steps back, or
/// captures merged) goes to a binary heap instead. The earliest entry is the earliest of the
/// lanes' fronts and the heap's top.
#[derive(Debug, Default)]
pub struct Deadlines {
    /// (idle limit, its deadlines in time order).
    lanes: Vec<(i64, VecDeque<(i64, Slot)>)>,
    /// Deadlines that came out of order.
    late: BinaryHeap<Reverse<(i64, Slot)>>,
}

impl Deadlines {
    /// Schedules `slot` to be looked at once the time reaches `at`, a time plus the idle
    /// limit `limit`.
    pub fn push(&mut self, limit: i64, at: i64, slot: Slot) {
        let i = match self.lanes.iter().position(|(l, _)| *l == limit) {
            Some(i) => i,
            None => {
                self.lanes.push((limit, VecDeque::new()));
                self.lanes.len() - 1
            }
        };
        let lane = &mut self.lanes[i].1;
        if lane.back().is_none_or(|&(last, _)| last <= at) {
            lane.push_back((at, slot));
        } else {
            self.late.push(Reverse((at, slot)));
        }
    }

    /// Takes the earliest entry due at `now` (its time is `now` or earlier), if any.
    pub fn pop_due(&mut self, now: i64) -> Option<(i64, Slot)> {
        // The lane with the earliest front, if it is earlier than the heap's top.
        let mut best: Option<(i64, usize)> = None;
        for (i, (_, q)) in self.lanes.iter().enumerate() {
            if let Some(&(at, _)) = q.front() {
                if at <= now && best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, i));
                }
            }
        }
        match (best, self.late.peek()) {
            (Some((at, _)), Some(Reverse((late, _)))) if *late < at => {
                self.late.pop().map(|Reverse(e)| e)
            }
            (Some((_, i)), _) => self.lanes[i].1.pop_front(),
            (None, Some(Reverse((late, _)))) if *late <= now => self.late.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        *self = Deadlines::default();
    }

    /// Entries held, stale ones included.
    fn len(&self) -> usize {
        self.late.len() + self.lanes.iter().map(|(_, q)| q.len()).sum::<usize>()
    }

    /// When the entries are more than twice `live` (plus some slack), keeps only those for
    /// which `valid` holds: stale entries then cost memory in proportion to the live flows,
    /// and their removal, linear, is paid for by the pushes that made them.
    pub fn compact_if(&mut self, live: usize, mut valid: impl FnMut(i64, Slot) -> bool) {
        if self.len() > live.saturating_mul(2).saturating_add(1024) {
            for (_, q) in self.lanes.iter_mut() {
                q.retain(|&(at, s)| valid(at, s));
            }
            self.late.retain(|Reverse((at, s))| valid(*at, *s));
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
        let a: Vec<Slot> = (0..600).map(|i| s.insert_with(|| i)).collect();
        assert_eq!(a[..3], [0, 1, 2]);
        let p = s.get(7).map(|v| v as *const u64);
        for i in 300..600 {
            s.insert_with(|| i);
        }
        assert_eq!(s.get(7).map(|v| v as *const u64), p);
        s.remove(5);
        s.remove(5);
        assert_eq!(s.get(5), None);
        assert_eq!(s.insert_with(|| 42), 5);
        assert_eq!(s.get(5), Some(&42));
        assert_eq!(s.get(100_000), None);
    }

    #[test]
    fn deadlines_pop_in_time_order_and_only_when_due() {
        let mut d = Deadlines::default();
        // Two lanes, and deadlines that come out of order (to the heap).
        for (limit, at, s) in [(5, 30, 3), (5, 10, 1), (9, 20, 2), (9, 10, 0), (5, 40, 4)] {
            d.push(limit, at, s);
        }
        assert_eq!(d.late.len(), 2);
        assert_eq!(d.pop_due(9), None);
        let mut got = Vec::new();
        while let Some(e) = d.pop_due(30) {
            got.push(e);
        }
        assert_eq!(got[..2], [(10, 0), (10, 1)]);
        assert_eq!(got[2..], [(20, 2), (30, 3)]);
        d.compact_if(0, |_, s| s != 4);
        assert_eq!(d.len(), 1); // under the slack: kept
        for i in 0..2000 {
            d.push(7, 50, 10 + i);
        }
        d.compact_if(0, |_, s| s == 4);
        assert_eq!(d.pop_due(i64::MAX), Some((40, 4)));
        assert_eq!(d.pop_due(i64::MAX), None);
    }

    /// Whatever the order of the pushes, entries come out in time order.
    #[test]
    fn deadlines_sort_any_order_of_pushes() {
        let mut d = Deadlines::default();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut all = Vec::new();
        for i in 0..5000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let limit = [5, 60, 300][(x % 3) as usize];
            // Mostly later and later, sometimes a step back.
            let at = i as i64 * 10 + limit - if x % 17 == 0 { (x % 500) as i64 } else { 0 };
            d.push(limit, at, i);
            all.push((at, i));
        }
        all.sort_unstable();
        let mut got = Vec::new();
        for now in (0..60_000).step_by(997) {
            while let Some(e) = d.pop_due(now) {
                assert!(e.0 <= now);
                got.push(e);
            }
        }
        let times: Vec<i64> = got.iter().map(|e| e.0).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        got.sort_unstable();
        assert_eq!(got, all);
    }
}
