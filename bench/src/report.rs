//! The closing summary (targets met or not, checks passed or failed) and number formatting.

use std::time::Duration;

use crate::plan::Plan;

/// One line of the summary.
#[derive(Debug, Clone)]
struct Line {
    ok: bool,
    what: String,
    detail: String,
}

/// What the run found, printed at the end.
#[derive(Debug, Default)]
pub struct Summary {
    /// The targets: met or not (not a failure of the run).
    targets: Vec<Line>,
    /// Things that must hold for the figures to mean anything; one failing fails the run.
    checks: Vec<Line>,
    /// Headline figures.
    figures: Vec<String>,
}

impl Summary {
    /// Records a target.
    pub fn target(&mut self, met: bool, what: impl Into<String>, detail: impl Into<String>) {
        self.targets.push(Line {
            ok: met,
            what: what.into(),
            detail: detail.into(),
        });
    }

    /// Records a check.
    pub fn check(&mut self, ok: bool, what: impl Into<String>, detail: impl Into<String>) {
        let line = Line {
            ok,
            what: what.into(),
            detail: detail.into(),
        };
        if !ok {
            println!("  CHECK FAILED: {} — {}", line.what, line.detail);
        }
        self.checks.push(line);
    }

    /// Records a headline figure.
    pub fn figure(&mut self, text: impl Into<String>) {
        self.figures.push(text.into());
    }

    /// True when a check failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| !c.ok)
    }

    /// Prints the summary.
    pub fn print(&self, plan: &Plan) {
        println!(
            "\n== Summary{} ==",
            if plan.quick {
                " (QUICK run: smoke check only)"
            } else {
                ""
            }
        );
        if !self.figures.is_empty() {
            println!("Figures:");
            for f in &self.figures {
                println!("  {f}");
            }
        }
        if !self.targets.is_empty() {
            println!("Targets (each line says what it compares):");
            for t in &self.targets {
                let mark = if t.ok { "met    " } else { "NOT MET" };
                println!("  [{mark}] {} — {}", t.what, t.detail);
            }
        }
        let failed: Vec<&Line> = self.checks.iter().filter(|c| !c.ok).collect();
        println!(
            "Checks: {} passed, {} failed",
            self.checks.len() - failed.len(),
            failed.len()
        );
        for c in failed {
            println!("  [FAILED] {} — {}", c.what, c.detail);
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A float rounded to a whole number, with thousands separators.
pub fn thousands_f(x: f64) -> String {
    if x.is_finite() && x >= 0.0 {
        thousands(x.round() as u64)
    } else {
        format!("{x:.0}")
    }
}

/// Euros with two decimals and thousands separators.
pub fn euros(x: f64) -> String {
    let cents = (x * 100.0).round() as u64;
    format!("{}.{:02} €", thousands(cents / 100), cents % 100)
}

/// Milliseconds from microseconds, 2 decimals.
pub fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

/// A duration as seconds with one decimal.
pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The p-th percentile (0–100) of `values` (nearest rank); `None` when empty.
pub fn percentile(values: &[Duration], p: f64) -> Option<Duration> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// `p50 1.2 s, max 3.4 s (n = 10)` or `none`.
pub fn latency_line(values: &[Duration]) -> String {
    match (percentile(values, 50.0), values.iter().max()) {
        (Some(p50), Some(max)) => format!(
            "p50 {}, max {} (n = {})",
            secs_ms(p50),
            secs_ms(*max),
            values.len()
        ),
        _ => "none observed".into(),
    }
}

/// Seconds with 2 decimals, or milliseconds below one second.
pub fn secs_ms(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(euros(330.0), "330.00 €");
        assert_eq!(euros(1234.567), "1,234.57 €");
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=10).map(Duration::from_secs).collect();
        assert_eq!(percentile(&v, 50.0), Some(Duration::from_secs(5)));
        assert_eq!(percentile(&v, 100.0), Some(Duration::from_secs(10)));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
