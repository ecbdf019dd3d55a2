//! `cargo xtask reliability [--check]`: RELIABILITY.md from the tables of
//! hostile input the tests wrote on their last run.
//!
//! Each table of `tests/it/hostile/` writes what each of its rows did to
//! `target/tmp/reliability/<table>.tsv`: a `# title` line, then one line a
//! row, `id TAB input TAB must TAB did`, with backslash, tab and newline
//! escaped. This task renders them, in the order of their names, as the
//! tables of RELIABILITY.md; `--check` compares instead of writing, which
//! `cargo xtask ci` does after it has run every table.

use std::path::{Path, PathBuf};

use crate::{target_dir, DynError};

const FILE: &str = "RELIABILITY.md";

const HEADER: &str = "\
# Reliability

What redock does with hostile and clumsy input: names, host names,
numbers, paths of REDOCK_HOME, of the user's ssh config and of the engine
CLI, device nodes, FIFOs, symbolic link loops, redock's own files, and
remote paths with every shell metacharacter. Each row is a case of the
tests in `tests/it/hostile/`; **Must** is what the test requires and
**Did** what it saw on the run this file was made from.

A row that works exited 0 and passed the check after it (ssh through the
alias, the bytes of the remote file…). A refusal is an exit code and one
`redock: error:` line (and maybe a `hint:`; a failed program's stderr
follows its line, as cargo shows one), with no panic and every file under
HOME byte for byte as it was; the rows refused before the engine is
touched ran with a docker that would have left a file under HOME. `$HOME`
is the test's HOME; control characters and bytes that are not UTF-8 show
as escapes.

Generated: the tests write their tables to `target/tmp/reliability/`,
`cargo xtask reliability` makes this file of them, and `cargo xtask ci`,
which runs every table, checks it with `cargo xtask reliability --check`.
Do not edit it by hand.
";

pub fn run(args: &[String]) -> Result<(), DynError> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        [other, ..] => return Err(format!("reliability: unexpected argument `{other}`").into()),
    };
    let dir = tables_dir();
    let text = render(&dir)?;
    if check {
        let committed = std::fs::read_to_string(FILE).unwrap_or_default();
        if committed != text {
            let line = committed
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(text.lines().count()));
            return Err(format!(
                "{FILE} is not what the last test run saw (first difference at line {}: {:?}); \
                 run the tests (cargo xtask ci runs every table), then `cargo xtask reliability`",
                line + 1,
                text.lines().nth(line).unwrap_or("<end of file>")
            )
            .into());
        }
        println!("{FILE} is what the last test run saw");
    } else {
        std::fs::write(FILE, &text)?;
        println!("wrote {FILE} from {}", dir.display());
    }
    Ok(())
}

/// Where the tests write their tables: cargo's `CARGO_TARGET_TMPDIR`.
pub fn tables_dir() -> PathBuf {
    target_dir().join("tmp").join("reliability")
}

fn render(dir: &Path) -> Result<String, DynError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            format!(
                "no tables in {}: {e}; run the tests first (cargo xtask ci runs every table)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    let mut out = String::from(HEADER);
    let mut total = 0;
    for file in &files {
        let text = std::fs::read_to_string(file)?;
        let mut lines = text.lines();
        let title = lines
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .ok_or_else(|| format!("{}: no `# title` line", file.display()))?;
        let rows: Vec<Vec<String>> = lines
            .map(|line| line.split('\t').map(unescape).collect())
            .collect();
        if let Some(bad) = rows.iter().find(|r| r.len() != 4) {
            return Err(
                format!("{}: a row of {} fields: {bad:?}", file.display(), bad.len()).into(),
            );
        }
        total += rows.len();
        out.push_str(&format!("\n## {title} ({} rows)\n\n", rows.len()));
        out.push_str("| Row | Input | Must | Did |\n|---|---|---|---|\n");
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    out.push_str(&format!("\n{total} rows in all.\n"));
    Ok(out)
}

/// Undoes the escapes of a table field.
fn unescape(field: &str) -> String {
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// A table cell showing `text` as it is: control characters as escapes,
/// and everything Markdown would read as markup escaped.
fn cell(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\\\n"),
            '\t' => out.push_str("\\\\t"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_cells() {
        assert_eq!(unescape(r"a\tb\\n\n"), "a\tb\\n\n");
        assert_eq!(
            cell("`a|b` <x> *y* a_b\n"),
            r"\`a\|b\` &lt;x&gt; \*y\* a\_b\\n"
        );
    }
}
