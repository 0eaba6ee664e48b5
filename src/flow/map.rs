//! The flow table's index: which slot of the [`Slab`] holds the flow of a key.
//!
//! An entry is the key's hash and the slot, 12 bytes; the key itself is read from the flow in
//! the slot when two hashes agree. A map of `HashedKey -> Slot` held the key twice (56 bytes
//! of the 64 an entry took): with a million flows alive its buckets were 136 MB, far beyond
//! any cache, and growing it copied all of them. The compact index fits five times as many
//! entries per cache line, and the flow a lookup finds is the one the packet goes to next.
//!
//! The table is `hashbrown`'s, the one `std`'s `HashMap` is built on (the same version as
//! the toolchain's), fed the same hash that `HashMap` was fed (see [`CarriedHash`]): it places
//! and orders the entries as that map placed and ordered its keys, which the expiry order
//! depends on (see [`FlowMap::position`]).
//!
//! [`CarriedHash`]: super::CarriedHash

use hashbrown::HashTable;

use super::expiry::{Slab, Slot};
use super::{Flow, HashedKey};

/// One live flow: its key's hash (as two halves, so an entry is 12 bytes) and its slot.
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: [u32; 2],
    slot: Slot,
}

impl Entry {
    fn new(hash: u64, slot: Slot) -> Entry {
        Entry {
            hash: [hash as u32, (hash >> 32) as u32],
            slot,
        }
    }

    /// The key's hash, `HashedKey::hash`.
    fn key_hash(&self) -> u64 {
        u64::from(self.hash[0]) | u64::from(self.hash[1]) << 32
    }

    /// Where the table places the entry: what [`CarriedHash`](super::CarriedHash) makes of
    /// the key's hash.
    fn table_hash(&self) -> u64 {
        table_hash(self.key_hash())
    }
}

fn table_hash(key_hash: u64) -> u64 {
    use std::hash::Hasher;
    let mut h = super::CarriedHash::default();
    h.write_u64(key_hash);
    h.finish()
}

/// The slot of each live flow of a table, found by key.
#[derive(Debug, Default)]
pub(super) struct FlowMap {
    table: HashTable<Entry>,
}

impl FlowMap {
    /// Live flows.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// The slot of `key`'s flow: an entry whose hash is `key`'s and whose flow has the key.
    pub fn get(&self, key: &HashedKey, slab: &Slab<Flow>) -> Option<Slot> {
        self.find(key, slab).map(|e| e.slot)
    }

    fn find(&self, key: &HashedKey, slab: &Slab<Flow>) -> Option<&Entry> {
        self.table.find(table_hash(key.hash), matches(key, slab))
    }

    /// Adds `key`'s flow, in `slot` (the key must not be in the map).
    pub fn insert(&mut self, key: &HashedKey, slot: Slot) {
        self.table
            .insert_unique(table_hash(key.hash), Entry::new(key.hash, slot), Entry::table_hash);
    }

    /// Takes `key`'s flow out of the map (its flow must still be in `slab`): its slot.
    pub fn remove(&mut self, key: &HashedKey, slab: &Slab<Flow>) -> Option<Slot> {
        let entry = self
            .table
            .find_entry(table_hash(key.hash), matches(key, slab))
            .ok()?;
        Some(entry.remove().0.slot)
    }

    /// Keeps the slots for which `keep` says so, visiting them in the map's order.
    pub fn retain(&mut self, mut keep: impl FnMut(Slot) -> bool) {
        self.table.retain(|e| keep(e.slot));
    }

    /// The live slots with their key's hash, in the map's order.
    pub fn iter(&self) -> impl Iterator<Item = (Slot, u64)> + '_ {
        self.table.iter().map(|e| (e.slot, e.key_hash()))
    }

    /// Where `key` comes in the map's iteration order: the map visits higher values first.
    ///
    /// hashbrown visits its buckets in index order and stores bucket `i` just below bucket
    /// `i - 1`, so the address of an entry says where an iteration meets it. The flow table
    /// expired flows in that order when it walked the map (`retain`); expiring the due flows
    /// in the same order keeps everything that depends on it as it was (which flows the
    /// record budget keeps when it fills up during a batch, which sources a folded record
    /// lists first). The test `expiry_follows_the_map_order` checks the claim.
    pub fn position(&self, key: &HashedKey, slab: &Slab<Flow>) -> usize {
        self.find(key, slab)
            .map_or(0, |e| std::ptr::from_ref(e) as usize)
    }
}

/// Whether an entry is `key`'s: same hash, and its flow has the key.
fn matches<'a>(key: &'a HashedKey, slab: &'a Slab<Flow>) -> impl FnMut(&Entry) -> bool + 'a {
    move |e| e.key_hash() == key.hash && slab.get(e.slot).is_some_and(|f| f.key == key.key)
}
