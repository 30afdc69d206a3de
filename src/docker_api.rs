//! The one client of a Docker engine's Unix socket: a connect, a `/_ping`, and the few
//! read-only requests berth makes itself instead of starting the docker CLI (one request takes
//! about a millisecond where `docker ps` takes tens).
//!
//! Requests are HTTP/1.0, so the engine closes the connection after its answer and sends no
//! chunks. Every failure is `false` or `None`: callers then say what went wrong, or ask the
//! docker CLI instead.

use std::path::Path;
use std::time::Duration;

/// The socket of a `unix://` DOCKER_HOST, if that is what it is.
pub fn unix_socket(docker_host: &str) -> Option<&Path> {
    docker_host.strip_prefix("unix://").map(Path::new)
}

/// Whether something listens on the socket at `path`: one connect, no request.
pub fn accepts(path: &Path) -> bool {
    #[cfg(unix)]
    {
        std::os::unix::net::UnixStream::connect(path).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Whether a Docker engine answers `GET /_ping` on the socket at `path` within two seconds.
pub fn ping(path: &Path) -> bool {
    request(path, "GET", "/_ping", Duration::from_secs(2)).is_some_and(|(status, _)| status == 200)
}

/// `GET path` on the engine at `socket`; the body of a 200 answer, parsed as JSON.
pub fn get_json(socket: &Path, path: &str) -> Option<serde_json::Value> {
    let (status, body) = request(socket, "GET", path, Duration::from_secs(5))?;
    (status == 200).then(|| serde_json::from_slice(&body).ok())?
}

/// `DELETE path` on the engine at `socket`; whether it answered with success (2xx).
pub fn delete(socket: &Path, path: &str) -> bool {
    request(socket, "DELETE", path, Duration::from_secs(5))
        .is_some_and(|(status, _)| (200..300).contains(&status))
}

/// Why nothing answers on `socket`, in a few words, for error messages.
pub fn problem(socket: &Path) -> &'static str {
    #[cfg(unix)]
    {
        use std::io::ErrorKind;
        match std::os::unix::net::UnixStream::connect(socket) {
            Err(err) if err.kind() == ErrorKind::NotFound => "no such socket",
            Err(err) if err.kind() == ErrorKind::PermissionDenied => "permission denied",
            Err(err) if err.kind() == ErrorKind::ConnectionRefused => "nothing listens on it",
            Err(_) => "it cannot be connected to",
            Ok(_) => "it does not answer as a Docker engine",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = socket;
        "it cannot be connected to"
    }
}

/// What to do about a socket berth may not open, if that is the problem.
pub fn problem_help(socket: &Path) -> Option<&'static str> {
    (problem(socket) == "permission denied").then_some(
        "add yourself to the `docker` group (`sudo usermod -aG docker $USER`), then log in again",
    )
}

/// Percent-encode a query parameter value.
pub fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One request, each way bounded by `timeout`; the answer's status code and body. The body
/// ends where its `Content-Length` says, without waiting for the engine to close the
/// connection: through an ssh forward the close comes a delayed ACK (about 40 ms) later.
fn request(socket: &Path, method: &str, path: &str, timeout: Duration) -> Option<(u16, Vec<u8>)> {
    #[cfg(unix)]
    {
        use std::io::{Read, Write};
        use std::os::unix::net::UnixStream;
        let mut stream = UnixStream::connect(socket).ok()?;
        stream.set_read_timeout(Some(timeout)).ok()?;
        stream.set_write_timeout(Some(timeout)).ok()?;
        let request = format!("{method} {path} HTTP/1.0\r\nHost: docker\r\n\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = Vec::new();
        let mut chunk = [0u8; 8192];
        let (split, length) = loop {
            if let Some(split) = reply.windows(4).position(|w| w == b"\r\n\r\n") {
                break (split, content_length(&reply[..split]));
            }
            match stream.read(&mut chunk).ok()? {
                0 => return None,
                n => reply.extend_from_slice(&chunk[..n]),
            }
        };
        let body_start = split + 4;
        match length {
            Some(length) => {
                while reply.len() < body_start + length {
                    match stream.read(&mut chunk).ok()? {
                        0 => return None,
                        n => reply.extend_from_slice(&chunk[..n]),
                    }
                }
                reply.truncate(body_start + length);
            }
            None => {
                stream.read_to_end(&mut reply).ok()?;
            }
        }
        let head = String::from_utf8_lossy(&reply[..split]);
        let mut words = head.split_whitespace();
        if !words.next()?.starts_with("HTTP/1.") {
            return None;
        }
        let status = words.next()?.parse().ok()?;
        Some((status, reply.split_off(body_start)))
    }
    #[cfg(not(unix))]
    {
        let _ = (socket, method, path, timeout);
        None
    }
}

/// The `Content-Length` of an answer's head, if it has one.
fn content_length(head: &[u8]) -> Option<usize> {
    String::from_utf8_lossy(head).lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_escapes() {
        assert_eq!(
            unix_socket("unix:///var/run/docker.sock"),
            Some(Path::new("/var/run/docker.sock"))
        );
        assert_eq!(unix_socket("tcp://1.2.3.4:2375"), None);
        assert_eq!(
            query_escape("{\"a\":[\"b=c\"]}"),
            "%7B%22a%22%3A%5B%22b%3Dc%22%5D%7D"
        );
    }

    /// A one-shot server on a temp socket answering `reply` to the first request.
    fn serve_once(reply: &'static [u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        use std::io::{Read, Write};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(reply);
        });
        (dir, path)
    }

    #[test]
    fn an_answer_ends_at_its_content_length_while_the_connection_stays_open() {
        use std::io::{Read, Write};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let (done, closed) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            conn.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n{\"Ver\":\"1\"}")
                .unwrap();
            // Held open until the test ends: the client must not wait for the close.
            let _ = closed.recv();
        });
        assert_eq!(
            get_json(&path, "/version"),
            Some(serde_json::json!({"Ver": "1"}))
        );
        drop(done);
    }

    #[test]
    fn a_ping_needs_an_http_200() {
        let (_dir, ok) = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
        assert!(ping(&ok));
        let (_dir, bad) = serve_once(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        assert!(!ping(&bad));
        let (_dir, junk) = serve_once(b"SSH-2.0-OpenSSH\r\n\r\n");
        assert!(!ping(&junk));
        assert!(!ping(Path::new("/nonexistent/docker.sock")));
        assert_eq!(
            problem(Path::new("/nonexistent/docker.sock")),
            "no such socket"
        );
    }
}
