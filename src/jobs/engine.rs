//! Read-only questions to a Docker engine over its Unix socket, without starting the docker
//! CLI: one request takes about a millisecond where `docker ps` takes tens, which is most of
//! what a pooled job would otherwise wait for before it starts.

use std::path::Path;

/// The socket of a `unix://` DOCKER_HOST, if that is what it is.
pub fn unix_socket(docker_host: &str) -> Option<&Path> {
    docker_host.strip_prefix("unix://").map(Path::new)
}

/// `GET path` on the engine at `socket`; the body of a 200 answer, parsed as JSON.
/// `None` for any failure: callers then ask the docker CLI instead.
pub fn get_json(socket: &Path, path: &str) -> Option<serde_json::Value> {
    let (status, body) = request(socket, "GET", path)?;
    (status == 200).then(|| serde_json::from_slice(&body).ok())?
}

/// `DELETE path` on the engine at `socket`; whether it answered with success (2xx).
pub fn delete(socket: &Path, path: &str) -> bool {
    request(socket, "DELETE", path).is_some_and(|(status, _)| (200..300).contains(&status))
}

/// One request; the answer's status code and body.
fn request(socket: &Path, method: &str, path: &str) -> Option<(u16, Vec<u8>)> {
    #[cfg(unix)]
    {
        use std::io::{Read, Write};
        use std::os::unix::net::UnixStream;
        use std::time::Duration;
        let mut stream = UnixStream::connect(socket).ok()?;
        let timeout = Some(Duration::from_secs(5));
        stream.set_read_timeout(timeout).ok()?;
        stream.set_write_timeout(timeout).ok()?;
        // HTTP/1.0: the engine closes the connection after the answer and sends no chunks.
        let request = format!("{method} {path} HTTP/1.0\r\nHost: docker\r\n\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).ok()?;
        let split = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&reply[..split]);
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, reply.split_off(split + 4)))
    }
    #[cfg(not(unix))]
    {
        let _ = (socket, method, path);
        None
    }
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
}
