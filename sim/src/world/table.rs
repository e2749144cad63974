//! A table of rows with running integer ids, as Tampuuri numbers its rows: ids start at a
//! base and grow by one; a removed row leaves a hole. Lookup by id is an index.

/// Rows of one kind, keyed by running ids from `base`.
#[derive(Debug, Clone)]
pub struct Table<T> {
    base: i64,
    rows: Vec<Option<T>>,
    live: usize,
}

impl<T> Table<T> {
    /// An empty table whose first id is `base`.
    pub fn new(base: i64) -> Self {
        Self {
            base,
            rows: Vec::new(),
            live: 0,
        }
    }

    /// The id the next inserted row gets.
    pub fn next_id(&self) -> i64 {
        self.base + self.rows.len() as i64
    }

    /// Insert a row built from its new id; returns the id.
    pub fn insert_with(&mut self, build: impl FnOnce(i64) -> T) -> i64 {
        let id = self.next_id();
        self.rows.push(Some(build(id)));
        self.live += 1;
        id
    }

    fn index(&self, id: i64) -> Option<usize> {
        let offset = id.checked_sub(self.base)?;
        usize::try_from(offset)
            .ok()
            .filter(|i| *i < self.rows.len())
    }

    /// The row with this id.
    pub fn get(&self, id: i64) -> Option<&T> {
        self.index(id).and_then(|i| self.rows[i].as_ref())
    }

    /// The row with this id, to change.
    pub fn get_mut(&mut self, id: i64) -> Option<&mut T> {
        let i = self.index(id)?;
        self.rows[i].as_mut()
    }

    /// Remove the row with this id.
    pub fn remove(&mut self, id: i64) -> Option<T> {
        let i = self.index(id)?;
        let row = self.rows[i].take();
        if row.is_some() {
            self.live -= 1;
        }
        row
    }

    /// All rows in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.rows.iter().flatten()
    }

    /// Rows with ids in `from..=to`, in id order.
    pub fn range(&self, from: i64, to: i64) -> impl Iterator<Item = &T> {
        let start = from.saturating_sub(self.base).max(0) as usize;
        let end = (to.saturating_sub(self.base).saturating_add(1)).max(0) as usize;
        let end = end.min(self.rows.len());
        let start = start.min(end);
        self.rows[start..end].iter().flatten()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_run_from_base_and_holes_stay() {
        let mut t = Table::new(100);
        assert_eq!(t.insert_with(|id| id * 2), 100);
        assert_eq!(t.insert_with(|id| id * 2), 101);
        assert_eq!(t.insert_with(|id| id * 2), 102);
        assert_eq!(t.get(101), Some(&202));
        assert_eq!(t.get(99), None);
        assert_eq!(t.get(103), None);
        assert_eq!(t.remove(101), Some(202));
        assert_eq!(t.get(101), None);
        assert_eq!(t.len(), 2);
        assert_eq!(t.range(100, 102).count(), 2);
        assert_eq!(t.range(101, 1000).copied().collect::<Vec<_>>(), vec![204]);
        assert_eq!(t.range(-5, 50).count(), 0);
        assert_eq!(t.insert_with(|id| id), 103);
    }
}
