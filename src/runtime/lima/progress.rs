//! Reading `limactl`'s stderr (logrus text, lima.md §4.1-4.2) for the step a boot is at.

use crate::runtime::lifecycle::{Line, Step, logrus_fatal, logrus_message};

/// The step a line of `limactl create/start` output announces, if any.
pub fn step_for(line: &str) -> Option<Step> {
    let msg = logrus_message(line);
    if msg.contains("Attempting to download") || msg.contains("Downloading") {
        Some(Step::Downloading)
    } else if msg.contains("Starting the instance")
        || msg.contains("[hostagent] Starting")
        || msg.contains("Using the existing instance")
    {
        Some(Step::Booting)
    } else if msg.contains("Waiting for the essential requirement") {
        Some(Step::WaitingForSsh)
    } else if msg.contains("Waiting for the optional requirement")
        || msg.contains("Waiting for the final requirement")
        || (msg.contains("Forwarding") && msg.contains("docker.sock"))
    {
        Some(Step::WaitingForDocker)
    } else {
        None
    }
}

/// What a line of `limactl` output says: a step or a fatal error on stderr.
pub fn classify(line: &str) -> Line {
    if let Some(message) = logrus_fatal(line) {
        Line::Fatal(message)
    } else {
        step_for(line).map_or(Line::Other, Line::Step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lima_lines_map_to_steps() {
        let cases = [
            (
                r#"time="t" level=info msg="Attempting to download the image" arch=x86_64"#,
                Some(Step::Downloading),
            ),
            (
                r#"time="t" level=info msg="Starting the instance `dev` with internal VM driver `vz`""#,
                Some(Step::Booting),
            ),
            (
                r#"time="t" level=info msg="[hostagent] Waiting for the essential requirement 1 of 3: \"ssh\"""#,
                Some(Step::WaitingForSsh),
            ),
            (
                "INFO[0012] [hostagent] Waiting for the optional requirement 1 of 1: \"user probe 1/1\"",
                Some(Step::WaitingForDocker),
            ),
            (r#"time="t" level=info msg="SSH Local Port: 60022""#, None),
            ("docker context use lima-dev", None),
        ];
        for (line, step) in cases {
            assert_eq!(step_for(line), step, "{line}");
        }
    }
}
