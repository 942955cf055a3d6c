//! A line diff of two texts (longest common subsequence), computed in the browser
//! for the editor's version history, and its view.
//!
//! A small LCS over lines is enough for scenario files (hundreds of lines) and
//! costs the WASM bundle almost nothing, where a diff crate would add tens of KB.

use leptos::prelude::*;

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// In both texts.
    Same(String),
    /// Only in the old text.
    Removed(String),
    /// Only in the new text.
    Added(String),
}

/// Above this many cells (old lines × new lines) the LCS table would cost too
/// much memory; the diff then shows the whole old text removed and the new added.
const MAX_CELLS: usize = 4_000_000;

/// The lines of `old` and `new` as a diff: common lines kept, the rest removed
/// from `old` or added from `new`, in reading order.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Common head and tail cost nothing and keep the table small.
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out: Vec<DiffLine> = a[..head]
        .iter()
        .map(|l| DiffLine::Same((*l).to_owned()))
        .collect();
    if a_mid.len().saturating_mul(b_mid.len()) > MAX_CELLS {
        out.extend(a_mid.iter().map(|l| DiffLine::Removed((*l).to_owned())));
        out.extend(b_mid.iter().map(|l| DiffLine::Added((*l).to_owned())));
    } else {
        out.extend(lcs_diff(a_mid, b_mid));
    }
    out.extend(
        a[a.len() - tail..]
            .iter()
            .map(|l| DiffLine::Same((*l).to_owned())),
    );
    out
}

fn lcs_diff(a: &[&str], b: &[&str]) -> Vec<DiffLine> {
    let (n, m) = (a.len(), b.len());
    // table[i][j] = LCS length of a[i..] and b[j..], stored row-major.
    let width = m + 1;
    let mut table = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i * width + j] = if a[i] == b[j] {
                table[(i + 1) * width + j + 1] + 1
            } else {
                table[(i + 1) * width + j].max(table[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n + m);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(DiffLine::Same(a[i].to_owned()));
            i += 1;
            j += 1;
        } else if table[(i + 1) * width + j] >= table[i * width + j + 1] {
            out.push(DiffLine::Removed(a[i].to_owned()));
            i += 1;
        } else {
            out.push(DiffLine::Added(b[j].to_owned()));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| DiffLine::Removed((*l).to_owned())));
    out.extend(b[j..].iter().map(|l| DiffLine::Added((*l).to_owned())));
    out
}

/// Unchanged lines shown around each change; longer unchanged runs are folded.
const CONTEXT: usize = 3;

/// A line of the view: a diff line, or a fold of unchanged lines.
#[derive(Debug, PartialEq)]
enum Row<'a> {
    Line(&'a DiffLine),
    Skipped(usize),
}

/// `lines` with every run of unchanged lines longer than `2 × context` folded,
/// keeping `context` lines next to each change.
fn with_context(lines: &[DiffLine], context: usize) -> Vec<Row<'_>> {
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !matches!(l, DiffLine::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= context);
    let mut rows = Vec::new();
    let mut skipped = 0;
    for (i, line) in lines.iter().enumerate() {
        if matches!(line, DiffLine::Same(_)) && !near(i) {
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            rows.push(Row::Skipped(skipped));
            skipped = 0;
        }
        rows.push(Row::Line(line));
    }
    if skipped > 0 {
        rows.push(Row::Skipped(skipped));
    }
    rows
}

/// A diff as lines, `-`/`+` marked (so it reads without colour), unchanged runs
/// folded, with a count of the changes above it.
pub fn diff_view(lines: &[DiffLine]) -> AnyView {
    let added = lines
        .iter()
        .filter(|l| matches!(l, DiffLine::Added(_)))
        .count();
    let removed = lines
        .iter()
        .filter(|l| matches!(l, DiffLine::Removed(_)))
        .count();
    if added == 0 && removed == 0 {
        return view! { <p class="muted" id="diff-summary">"The two versions are the same."</p> }
            .into_any();
    }
    let rows = with_context(lines, CONTEXT)
        .into_iter()
        .map(|row| {
            let (class, mark, text) = match row {
                Row::Line(DiffLine::Same(t)) => ("diff-same", " ", t.clone()),
                Row::Line(DiffLine::Removed(t)) => ("diff-removed", "-", t.clone()),
                Row::Line(DiffLine::Added(t)) => ("diff-added", "+", t.clone()),
                Row::Skipped(n) => ("diff-skipped", "⋯", format!("{n} unchanged lines")),
            };
            view! { <div class=format!("diff-line {class}")><span class="diff-mark" aria-hidden="true">{mark}</span>{text}</div> }
        })
        .collect_view();
    view! {
        <p id="diff-summary">{format!("{added} line(s) added, {removed} removed")}</p>
        <div class="diff" id="diff" role="region" aria-label="Differences">{rows}</div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(lines: &[DiffLine]) -> String {
        lines
            .iter()
            .map(|l| match l {
                DiffLine::Same(t) => format!(" {t}"),
                DiffLine::Removed(t) => format!("-{t}"),
                DiffLine::Added(t) => format!("+{t}"),
            })
            .collect::<Vec<_>>()
            .join("|")
    }

    #[test]
    fn identical_texts_have_no_change() {
        let diff = line_diff("a\nb\n", "a\nb\n");
        assert_eq!(marks(&diff), " a| b");
    }

    #[test]
    fn a_changed_line_is_removed_then_added_in_place() {
        let diff = line_diff("a\nb\nc\nd", "a\nB\nc\nd\ne");
        assert_eq!(marks(&diff), " a|-b|+B| c| d|+e");
    }

    #[test]
    fn moved_blocks_keep_the_longest_common_part() {
        let diff = line_diff("x\na\nb\nc", "a\nb\nc\nx");
        assert_eq!(marks(&diff), "-x| a| b| c|+x");
        assert_eq!(marks(&line_diff("", "a")), "+a");
        assert_eq!(marks(&line_diff("a", "")), "-a");
    }

    #[test]
    fn long_unchanged_runs_fold_but_keep_context() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        let diff = line_diff(&old, &new);
        let rows = with_context(&diff, 3);
        assert_eq!(rows.first(), Some(&Row::Skipped(6)));
        assert_eq!(rows.last(), Some(&Row::Skipped(7)));
        assert_eq!(rows.len(), 1 + 3 + 2 + 3 + 1);
    }
}
