//! What redock tells the person at the terminal: notes and progress go to
//! stderr, results to stdout, and `-q`/`-v` choose how much.

use std::io::IsTerminal;

/// The terminal side of redock.
#[derive(Clone, Debug)]
pub struct Ui {
    /// -1 quiet, 0 normal, 1+ verbose.
    verbosity: i8,
}

impl Ui {
    pub fn new(verbose: u8, quiet: bool) -> Ui {
        let verbosity = if quiet { -1 } else { verbose.min(10) as i8 };
        Ui { verbosity }
    }

    pub fn quiet(&self) -> bool {
        self.verbosity < 0
    }

    pub fn verbose(&self) -> bool {
        self.verbosity > 0
    }

    /// A note on what is happening.
    pub fn info(&self, message: impl AsRef<str>) {
        if !self.quiet() {
            eprintln!("redock: {}", message.as_ref());
        }
    }

    /// Shown even with -q.
    pub fn warn(&self, message: impl AsRef<str>) {
        eprintln!("redock: warning: {}", message.as_ref());
    }

    /// Progress of a base image build.
    pub fn progress(&self, progress: base_image::Progress) {
        use base_image::Progress;
        match progress {
            Progress::Step {
                index,
                total,
                title,
            } => self.info(format!("[{index}/{total}] {title}")),
            Progress::Note(note) => self.info(note),
            Progress::Output(line) => {
                if self.verbose() {
                    eprintln!("    {line}");
                }
            }
            Progress::Done { id } => self.info(format!(
                "base image ready ({})",
                crate::name::summarize_id(&id)
            )),
        }
    }

    /// Whether redock talks to a person: both ends are terminals.
    pub fn interactive() -> bool {
        std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
    }
}

/// Columns aligned by padding, two spaces apart, with no trailing blanks:
/// the shape of `status` and `history`.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cols: &[String]| {
        let text: Vec<String> = cols
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(text.join("  ").trim_end());
        out.push('\n');
    };
    line(&header.map(String::from));
    for row in rows {
        line(row);
    }
    out
}
