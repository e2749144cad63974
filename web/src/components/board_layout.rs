//! Laying the apartment board out in pages from measured heights, so a tall building needs
//! no scrolling and nothing is cut: the display turns the pages by itself.
//!
//! The board measures (in the browser) how tall each line is at a given type size and
//! column width: a staircase heading, a floor heading, and each apartment row (a row with
//! long or many names wraps onto more lines, so rows differ). [`layout`] packs those
//! heights into columns of the board's height, and columns into pages:
//!
//! - each staircase lists its floors from the top down, each floor a heading and its rows;
//! - a floor is kept whole in a column when it fits, unless that would leave half of it or
//!   more as empty room (then it is split, its heading repeated in the next column); a
//!   staircase taller than a column goes on in the next one under a "continued" heading;
//! - staircases start a column of their own, unless packing them together (never splitting
//!   one that would fit a column of its own) saves pages.
//!
//! [`Plan::better`] compares layouts at different sizes: fewer pages first, then larger
//! type, then fewer (wider) columns.

use rappu_shared::display::{FeedApartment, FeedStaircase};

/// One line of the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardLine {
    /// A floor heading.
    Floor(i32),
    /// An apartment with the names that may be shown.
    Apartment(FeedApartment),
}

/// A staircase's lines within one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardBlock {
    /// The staircase's name (`A`).
    pub staircase: String,
    /// Whether the staircase began in an earlier column.
    pub continued: bool,
    /// Its lines here.
    pub lines: Vec<BoardLine>,
}

/// A column of blocks.
pub type BoardColumn = Vec<BoardBlock>;

/// One screenful.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BoardPage {
    /// Its columns, left to right.
    pub columns: Vec<BoardColumn>,
}

/// Measured heights, in CSS pixels, at one type size and column width.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Heights {
    /// A staircase heading.
    pub staircase: f64,
    /// A floor heading.
    pub floor: f64,
    /// Each apartment row, staircase by staircase, floor by floor (as in the feed: lowest
    /// floor first), apartment by apartment.
    pub rows: Vec<Vec<Vec<f64>>>,
}

/// Room a column leaves unused for rounding (sub-pixel heights add up).
const SLACK: f64 = 1.0;

struct Packer {
    height: f64,
    columns: Vec<BoardColumn>,
    used: f64,
    heading: f64,
    floor: f64,
}

impl Packer {
    fn new_column(&mut self) {
        self.columns.push(Vec::new());
        self.used = 0.0;
    }

    fn room(&self) -> f64 {
        self.height - self.used
    }

    fn open_block(&mut self, staircase: &str, continued: bool) {
        if self.columns.is_empty() {
            self.new_column();
        }
        if let Some(column) = self.columns.last_mut() {
            column.push(BoardBlock {
                staircase: staircase.to_owned(),
                continued,
                lines: Vec::new(),
            });
        }
        self.used += self.heading;
    }

    fn push(&mut self, line: BoardLine, height: f64) {
        if let Some(block) = self.columns.last_mut().and_then(|c| c.last_mut()) {
            block.lines.push(line);
            self.used += height;
        }
    }

    fn add(&mut self, staircase: &FeedStaircase, rows: &[Vec<f64>], fresh_column: bool) {
        // Top floor first.
        let floors: Vec<_> = staircase.floors.iter().zip(rows).rev().collect();
        let heading = self.floor;
        let floor_height = |r: &Vec<f64>| heading + r.iter().sum::<f64>();
        let first = floors.first().map_or(0.0, |(_, r)| floor_height(r));
        let whole = self.heading + floors.iter().map(|(_, r)| floor_height(r)).sum::<f64>();
        let started = !self.columns.is_empty();
        // Here if it fits whole; a staircase that fits a column of its own is not split;
        // one taller than a column starts here if its heading and first floor fit.
        let stay = started
            && !fresh_column
            && (self.room() >= whole
                || (whole > self.height && self.room() >= self.heading + first));
        if !stay && self.columns.last().is_none_or(|c| !c.is_empty()) {
            self.new_column();
        }
        self.open_block(&staircase.name, false);
        for (floor, heights) in floors {
            let whole = floor_height(heights);
            // The heading and two rows at least, so a split floor is not a lone line.
            let piece = heading + heights.iter().take(2).sum::<f64>();
            let split_here = self.room() >= whole / 2.0 && self.room() >= piece;
            if self.room() < whole && self.used > self.heading && !split_here {
                self.new_column();
                self.open_block(&staircase.name, true);
            }
            self.push(BoardLine::Floor(floor.floor), self.floor);
            for (apartment, &height) in floor.apartments.iter().zip(heights) {
                if self.room() < height && self.used > self.heading + self.floor {
                    // A floor taller than a column: go on in the next, heading repeated.
                    self.new_column();
                    self.open_block(&staircase.name, true);
                    self.push(BoardLine::Floor(floor.floor), self.floor);
                }
                self.push(BoardLine::Apartment(apartment.clone()), height);
            }
        }
    }
}

fn pack(
    staircases: &[FeedStaircase],
    heights: &Heights,
    column_height: f64,
    fresh: bool,
) -> Vec<BoardColumn> {
    let mut packer = Packer {
        height: column_height - SLACK,
        columns: Vec::new(),
        used: 0.0,
        heading: heights.staircase,
        floor: heights.floor,
    };
    let empty = Vec::new();
    for (i, staircase) in staircases.iter().enumerate() {
        packer.add(staircase, heights.rows.get(i).unwrap_or(&empty), fresh);
    }
    packer.columns
}

fn pages(columns: Vec<BoardColumn>, per_page: usize) -> Vec<BoardPage> {
    let per_page = per_page.max(1);
    let mut out: Vec<BoardPage> = Vec::new();
    for column in columns {
        match out.last_mut() {
            Some(page) if page.columns.len() < per_page => page.columns.push(column),
            _ => out.push(BoardPage {
                columns: vec![column],
            }),
        }
    }
    if out.is_empty() {
        out.push(BoardPage::default());
    }
    out
}

/// The board's pages for `columns` columns of `column_height` pixels.
pub fn layout(
    staircases: &[FeedStaircase],
    heights: &Heights,
    columns: usize,
    column_height: f64,
) -> Vec<BoardPage> {
    let separate = pages(pack(staircases, heights, column_height, true), columns);
    if separate.len() == 1 {
        return separate;
    }
    let packed = pages(pack(staircases, heights, column_height, false), columns);
    if packed.len() < separate.len() {
        packed
    } else {
        separate
    }
}

/// A layout with the size it was made for.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Type size of the rows, px.
    pub font: f64,
    /// Columns a page has.
    pub columns: usize,
    /// Width of a column, px.
    pub column_width: f64,
    /// Room between columns, px.
    pub gap: f64,
    /// The pages.
    pub pages: Vec<BoardPage>,
}

impl Plan {
    /// Whether `self` is better than `other`: fewer pages, then larger type, then fewer
    /// (wider) columns.
    pub fn better(&self, other: &Plan) -> bool {
        let key = |p: &Plan| (p.pages.len(), -(p.font * 100.0).round() as i64, p.columns);
        key(self) < key(other)
    }

    /// Whether every staircase takes no more columns than a page has, so it could be read
    /// on one page (packing may still start one at the end of a page to save pages).
    pub fn staircases_fit_a_page(&self) -> bool {
        let mut spans: Vec<(&str, usize)> = Vec::new();
        for column in self.pages.iter().flat_map(|p| &p.columns) {
            let mut here: Vec<&str> = column.iter().map(|b| b.staircase.as_str()).collect();
            here.dedup();
            for name in here {
                match spans.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, count)) => *count += 1,
                    None => spans.push((name, 1)),
                }
            }
        }
        spans.iter().all(|&(_, count)| count <= self.columns)
    }
}

#[cfg(test)]
#[path = "board_layout_tests.rs"]
mod tests;
