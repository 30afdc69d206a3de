//! `berth container logs`: the host agent's log and the VM's serial consoles, from the
//! instance directory (lima.md §2.2), optionally followed as they grow.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::ui;

/// The logs worth reading after a failed boot, most useful first.
const LOG_FILES: &[&str] = &["ha.stderr.log", "serial.log", "serialp.log", "serialv.log"];

pub fn print(instance_dir: &Path, follow: bool) -> Result<()> {
    let files: Vec<PathBuf> = LOG_FILES
        .iter()
        .map(|f| instance_dir.join(f))
        .filter(|p| p.is_file())
        .collect();
    if files.is_empty() {
        ui::status("the instance has no logs yet (they appear when it first starts)");
        return Ok(());
    }
    let mut offsets = vec![0u64; files.len()];
    let mut last_shown: Option<usize> = None;
    loop {
        for (i, file) in files.iter().enumerate() {
            let chunk = read_from(file, &mut offsets[i])?;
            if chunk.is_empty() {
                continue;
            }
            if files.len() > 1 && last_shown != Some(i) {
                ui::out(&format!("==> {} <==", ui::display_path(file)))?;
                last_shown = Some(i);
            }
            let agent_log = file.file_name().is_some_and(|n| n == "ha.stderr.log");
            for line in chunk.lines() {
                let line = if agent_log {
                    render_agent_line(line)
                } else {
                    line.to_string()
                };
                ui::out(&line)?;
            }
        }
        if !follow {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The complete lines added to `path` since `offset`, moving `offset` past them. A file that
/// shrank (the host agent truncates its log at each start) is read again from the top.
fn read_from(path: &Path, offset: &mut u64) -> Result<String> {
    let mut file = fs_err::File::open(path)?;
    let len = file.metadata()?.len();
    if len < *offset {
        *offset = 0;
    }
    file.seek(SeekFrom::Start(*offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    *offset += complete as u64;
    Ok(String::from_utf8_lossy(&bytes[..complete]).into_owned())
}

/// The host agent logs logrus JSON (`{"level","msg","time"}`); show `time level msg`.
fn render_agent_line(line: &str) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(line)
    else {
        return line.to_string();
    };
    let field = |k: &str| fields.get(k).and_then(|v| v.as_str()).unwrap_or("");
    format!("{} {:<5} {}", field("time"), field("level"), field("msg"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_lines_are_rendered_and_others_kept() {
        assert_eq!(
            render_agent_line(r#"{"level":"info","msg":"Forwarding","time":"T"}"#),
            "T info  Forwarding"
        );
        assert_eq!(render_agent_line("plain text"), "plain text");
    }

    #[test]
    fn only_complete_lines_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serial.log");
        fs_err::write(&path, "one\ntw").unwrap();
        let mut offset = 0;
        assert_eq!(read_from(&path, &mut offset).unwrap(), "one\n");
        fs_err::write(&path, "one\ntwo\n").unwrap();
        assert_eq!(read_from(&path, &mut offset).unwrap(), "two\n");
    }
}
