//! Integration tests of the sshconfig crate.

mod differential;
mod edits;
mod fuzz;
mod generate;
mod render;
mod round_trip;
mod update;
