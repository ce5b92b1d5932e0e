//! A map from [`NodeId`] to a small `Copy` value: open addressing, linear probing, Fibonacci
//! hashing. Node ids are dense counters, for which a general-purpose hasher is wasted work and
//! a `Vec` indexed by id would let one hostile id allocate gigabytes.

use crate::event::NodeId;
use alloc::vec::Vec;

/// Key 0 marks an empty slot (0 is never a node); `insert(0, _)` is ignored.
#[derive(Clone, Debug)]
pub struct IdMap<V> {
    keys: Vec<NodeId>,
    vals: Vec<V>,
    len: usize,
    shift: u32,
}

impl<V: Copy + Default> Default for IdMap<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Copy + Default> IdMap<V> {
    pub const fn new() -> Self {
        Self { keys: Vec::new(), vals: Vec::new(), len: 0, shift: 64 }
    }

    pub fn with_capacity(n: usize) -> Self {
        let mut m = Self::new();
        if n > 0 {
            m.resize(n.saturating_mul(2).next_power_of_two().max(16));
        }
        m
    }

    /// Room for `additional` more entries without regrowing.
    pub fn reserve(&mut self, additional: usize) {
        let need = (self.len + additional).saturating_mul(2);
        if need > self.keys.len() {
            self.resize(need.next_power_of_two().max(16));
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        if self.len > 0 {
            self.keys.iter_mut().for_each(|k| *k = 0);
            self.len = 0;
        }
    }

    #[inline]
    fn home(&self, key: NodeId) -> usize {
        ((key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Slot holding `key`, or the empty slot where it would go.
    #[inline]
    fn probe(&self, key: NodeId) -> usize {
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        loop {
            let k = self.keys[i];
            if k == key || k == 0 {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    pub fn get(&self, key: NodeId) -> Option<V> {
        if key == 0 || self.len == 0 {
            return None;
        }
        let i = self.probe(key);
        (self.keys[i] == key).then(|| self.vals[i])
    }

    #[inline]
    pub fn contains(&self, key: NodeId) -> bool {
        self.get(key).is_some()
    }

    /// Returns the previous value.
    pub fn insert(&mut self, key: NodeId, val: V) -> Option<V> {
        if key == 0 {
            return None;
        }
        // Load factor at most 1/2 keeps probe runs short.
        if (self.len + 1) * 2 > self.keys.len() {
            self.resize((self.keys.len() * 2).max(16));
        }
        let i = self.probe(key);
        if self.keys[i] == key {
            return Some(core::mem::replace(&mut self.vals[i], val));
        }
        self.keys[i] = key;
        self.vals[i] = val;
        self.len += 1;
        None
    }

    pub fn remove(&mut self, key: NodeId) -> Option<V> {
        if key == 0 || self.len == 0 {
            return None;
        }
        let mask = self.keys.len() - 1;
        let mut i = self.probe(key);
        if self.keys[i] != key {
            return None;
        }
        let old = self.vals[i];
        // Backward-shift deletion: no tombstones, so lookups never slow down over time.
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let k = self.keys[j];
            if k == 0 {
                break;
            }
            let h = self.home(k);
            if (j.wrapping_sub(h) & mask) >= (j.wrapping_sub(i) & mask) {
                self.keys[i] = k;
                self.vals[i] = self.vals[j];
                i = j;
            }
        }
        self.keys[i] = 0;
        self.len -= 1;
        Some(old)
    }

    fn resize(&mut self, cap: usize) {
        let old_keys = core::mem::replace(&mut self.keys, alloc::vec![0; cap]);
        let old_vals = core::mem::replace(&mut self.vals, alloc::vec![V::default(); cap]);
        self.shift = 64 - cap.trailing_zeros();
        for (k, v) in old_keys.into_iter().zip(old_vals) {
            if k != 0 {
                let i = self.probe(k);
                self.keys[i] = k;
                self.vals[i] = v;
            }
        }
    }

    /// Entries in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, V)> + '_ {
        self.keys.iter().zip(&self.vals).filter(|(k, _)| **k != 0).map(|(k, v)| (*k, *v))
    }
}

/// A set of node ids.
pub type IdSet = IdMap<()>;

impl IdMap<()> {
    /// `true` if the id was not in the set.
    #[inline]
    pub fn add(&mut self, key: NodeId) -> bool {
        key != 0 && self.insert(key, ()).is_none()
    }
}
