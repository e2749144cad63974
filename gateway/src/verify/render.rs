//! The go-live check as text for a person at a terminal.

use std::fmt::Write as _;

use super::{Verdict, VerifyReport};

/// The report as tables and sentences.
pub fn table(r: &VerifyReport) -> String {
    let mut out = String::new();
    let verdict = match r.verdict {
        Verdict::Ready => "READY",
        Verdict::ReadyWithDifferences => "READY, WITH DIFFERENCES (below)",
        Verdict::NotReady => "NOT READY (see below)",
    };
    let _ = writeln!(
        out,
        "Tampuuri account {} — checked {} with {} calls: {verdict}\n",
        r.account,
        r.checked_at.format("%Y-%m-%d %H:%M UTC"),
        r.calls
    );
    let _ = writeln!(out, "Routes");
    let _ = writeln!(
        out,
        "  {:<50} {:>9} {:>7} {:>5} {:>10} {:>7}",
        "route", "outcome", "paging", "rows", "unreadable", "ms"
    );
    for c in &r.routes {
        let paging = c
            .paging
            .map(|p| format!("{p:?}").to_lowercase())
            .unwrap_or_else(|| "-".into());
        let outcome = if c.reachable {
            c.outcome.clone()
        } else {
            "FAILED".into()
        };
        let _ = writeln!(
            out,
            "  {:<50} {:>9} {:>7} {:>5} {:>10} {:>7}",
            c.route,
            outcome,
            paging,
            c.rows.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            c.unreadable,
            c.millis
        );
        if !c.reachable {
            let _ = writeln!(out, "    {}", c.outcome);
        }
    }
    let _ = writeln!(
        out,
        "\nFields (rows: present / missing / null / other type; values seen)"
    );
    for f in &r.fields {
        let values = if f.values.is_empty() {
            String::new()
        } else {
            format!("  values {}", f.values.join(", "))
        };
        let unknown = if f.unknown.is_empty() {
            String::new()
        } else {
            format!("  UNKNOWN {}", f.unknown.join(", "))
        };
        let _ = writeln!(
            out,
            "  {:<34} {:>4} / {:>4} / {:>4} / {:>4}{values}{unknown}",
            format!("{}.{}", f.row, f.field),
            f.present,
            f.missing,
            f.null,
            f.other_type
        );
    }
    let p = &r.privacy;
    let _ = writeln!(
        out,
        "\nPrivacy: turvakielto readable on {} persons, hide-from-display flag on {} connections, move-in/out dates on {}.\n  {}",
        p.turvakielto, p.hide_flag, p.dates, p.explanation
    );
    if let Some(w) = &r.write {
        let _ = writeln!(
            out,
            "\nWrite test on object {}: report {}, answer {}, found by UlkoinenTunniste {}, by reference {}, closed {}; exactly-once scheme: {}",
            w.object,
            w.report_id
                .map(|i| i.to_string())
                .unwrap_or_else(|| "-".into()),
            w.answer.as_deref().unwrap_or("-"),
            yes_no(w.external_id_kept),
            yes_no(w.reference_found),
            if w.closed { "yes" } else { "no" },
            w.scheme
        );
        if let Some(e) = &w.error {
            let _ = writeln!(out, "  ERROR: {e}");
        }
    }
    if r.differences.is_empty() {
        let _ = writeln!(out, "\nNo differences from what Rappu assumed.");
    } else {
        let _ = writeln!(out, "\nDifferences from what Rappu assumed:");
        for d in &r.differences {
            let _ = writeln!(out, "  - {}: {}", d.code, d.detail);
        }
    }
    out
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    }
}
