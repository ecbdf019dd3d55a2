//! Whether sshd in a started container answers yet. A container runs its
//! init script first, which starts sshd once redock has handed the host key
//! in, so `redock start` polls until sshd is there, and gives up early when
//! the container dies.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use docker_exec::Docker;

use crate::error::{stop_if_interrupted, Result};

/// Polls `addr`, where the container `id` publishes sshd, until sshd's
/// banner comes or `deadline` passes; returns whether it came. Once a
/// second it asks whether the container still runs, to fail fast when it
/// died rather than wait out the deadline.
pub(crate) fn wait_for_banner(
    docker: &Docker,
    id: &str,
    addr: SocketAddr,
    deadline: Instant,
) -> Result<bool> {
    let mut next_check = Instant::now() + Duration::from_secs(1);
    loop {
        if ssh_banner(addr) {
            return Ok(true);
        }
        stop_if_interrupted()?;
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        if now >= next_check {
            next_check = now + Duration::from_secs(1);
            if !docker
                .inspect_container(id)?
                .is_some_and(|c| c.is_running())
            {
                return Ok(false);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Polls the container `id` through docker until its host key `path`
/// exists or `deadline` passes; returns whether it came. With no port to
/// probe, the key's existence says the init script has got as far as sshd
/// (in an image of an earlier recipe, whose init script makes the key).
pub(crate) fn wait_for_host_key(
    docker: &Docker,
    id: &str,
    path: &str,
    deadline: Instant,
) -> Result<bool> {
    loop {
        let out = docker.exec(id, &["test", "-s", path], None)?;
        if out.status == 0 {
            return Ok(true);
        }
        stop_if_interrupted()?;
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether an SSH server answers at `addr`: docker's port proxy accepts
/// connections before sshd listens, so only the banner counts.
fn ssh_banner(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4];
    let mut got = 0;
    while got < buf.len() {
        match stream.read(&mut buf[got..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n,
        }
    }
    &buf == b"SSH-"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    /// A listener on a free loopback port that answers one connection with
    /// `greeting` and closes it.
    fn server(greeting: &'static [u8]) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let _ = stream.write_all(greeting);
            }
        });
        addr
    }

    #[test]
    fn only_an_ssh_banner_counts() {
        assert!(ssh_banner(server(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")));
        // docker's port proxy accepts, then closes when nothing listens
        // behind it.
        assert!(!ssh_banner(server(b"")));
        assert!(!ssh_banner(server(b"HTTP/1.1 400 Bad Request\r\n")));
    }
}
