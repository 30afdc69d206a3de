//! Sizes and durations as people write them: one grammar each, shared by every flag and
//! setting that takes one, and one way of printing a byte count.

use std::fmt;
use std::time::Duration;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

/// A positive number of bytes, written as a decimal number and a unit: `512m`, `2GiB`,
/// `1.5g`, `1t`, `64 MiB`. Units are powers of 1024 whatever their spelling (`b`, `k`/`kb`/
/// `kib`, `m`/`mb`/`mib`, `g`/`gb`/`gib`, `t`/`tb`/`tib`, in any case), as Docker's
/// `--memory` and Lima's `memory` read them. A bare number is in the unit of its context
/// ([`BareUnit`]). Zero is not a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(u64);

/// What a bare number (`4096`, `4`) counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareUnit {
    /// Bytes, as `docker run --memory` counts them (`berth exec --memory`).
    Bytes,
    /// GiB, for the size of a VM (`[tool.berth] memory` and `disk`).
    Gib,
}

impl ByteSize {
    /// The units every size may be written in, for help texts.
    pub const UNITS: &'static str = "b, k, m, g, t (or KiB, MiB, GiB, TiB)";

    pub const fn gib(n: u64) -> ByteSize {
        ByteSize(n * GIB)
    }

    /// The size `text` names, or `None` when it is not one (no number, an unknown unit, zero).
    pub fn parse(text: &str, bare: BareUnit) -> Option<ByteSize> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().ok()?;
        let factor = match unit.trim().to_ascii_lowercase().as_str() {
            "" => match bare {
                BareUnit::Bytes => 1,
                BareUnit::Gib => GIB,
            },
            "b" => 1,
            "k" | "kb" | "kib" => KIB,
            "m" | "mb" | "mib" => MIB,
            "g" | "gb" | "gib" => GIB,
            "t" | "tb" | "tib" => TIB,
            _ => return None,
        };
        let bytes = (number * factor as f64).round();
        // Saturating float-to-int conversion, of a finite number in range.
        (bytes >= 1.0 && bytes < u64::MAX as f64).then_some(ByteSize(bytes as u64))
    }

    pub fn bytes(self) -> u64 {
        self.0
    }

    /// In GiB, up to three decimals (`4`, `0.5`, `1.5`): what `limactl --memory` and
    /// `colima --memory` take.
    pub fn gib_decimal(self) -> String {
        let text = format!("{:.3}", self.0 as f64 / GIB as f64);
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }

    /// In whole MiB, rounded: what `podman machine init --memory` takes.
    pub fn mib_rounded(self) -> u64 {
        (self.0 + MIB / 2) / MIB
    }

    /// In whole GiB, rounded up: what `--disk` flags that take integers get.
    pub fn gib_ceil(self) -> u64 {
        self.0.div_ceil(GIB)
    }
}

/// Lima's notation, in the largest unit that divides the size: `4GiB`, `1536MiB`.
impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        match [(TIB, "TiB"), (GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")]
            .into_iter()
            .find(|(unit, _)| n.is_multiple_of(*unit))
        {
            // Whole TiB read as GiB, as Lima writes them (`1024GiB`).
            Some((TIB, _)) => write!(f, "{}GiB", n / GIB),
            Some((unit, name)) => write!(f, "{}{name}", n / unit),
            None => write!(f, "{n}B"),
        }
    }
}

/// `1.5 MiB`: a byte count as people read it, in powers of 1024 with one decimal (`0 B` to
/// `1023 B` exactly), as `du -h` does.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < KIB {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / KIB as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A positive duration such as `90`, `90s`, `10m` or `1h` (a bare number is seconds), for
/// `start-timeout`, `--timeout` and `--cpu-time` alike.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return None,
    };
    let secs = number.checked_mul(factor)?;
    (secs > 0).then(|| Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(text: &str, bare: BareUnit) -> Option<u64> {
        ByteSize::parse(text, bare).map(ByteSize::bytes)
    }

    #[test]
    fn one_grammar_for_every_size() {
        for (text, bytes) in [
            ("512m", 512 << 20),
            ("2g", 2 << 30),
            ("2gib", 2 << 30),
            ("2GiB", 2 << 30),
            ("2 GB", 2 << 30),
            ("1.5GiB", 3 << 29),
            ("1t", 1 << 40),
            ("1TiB", 1 << 40),
            ("64k", 64 << 10),
            ("10b", 10),
        ] {
            assert_eq!(size(text, BareUnit::Bytes), Some(bytes), "{text}");
            assert_eq!(size(text, BareUnit::Gib), Some(bytes), "{text}");
        }
        for text in [
            "lots",
            "4 parsecs",
            "5q",
            "0m",
            "0",
            "-1GiB",
            "",
            "1e9",
            "g",
        ] {
            assert_eq!(size(text, BareUnit::Bytes), None, "{text}");
            assert_eq!(size(text, BareUnit::Gib), None, "{text}");
        }
        assert_eq!(size("4096", BareUnit::Bytes), Some(4096));
        assert_eq!(size("4", BareUnit::Gib), Some(4 << 30));
    }

    #[test]
    fn sizes_print_in_lima_notation() {
        let shown = |text: &str| ByteSize::parse(text, BareUnit::Gib).unwrap().to_string();
        assert_eq!(shown("4GiB"), "4GiB");
        assert_eq!(shown("512MiB"), "512MiB");
        assert_eq!(shown("1.5"), "1536MiB");
        assert_eq!(shown("1T"), "1024GiB");
        assert_eq!(shown("3k"), "3KiB");
        assert_eq!(shown("7b"), "7B");
        let lima = ByteSize::parse("1536MiB", BareUnit::Gib).unwrap();
        assert_eq!(
            (
                lima.gib_decimal().as_str(),
                lima.mib_rounded(),
                lima.gib_ceil()
            ),
            ("1.5", 1536, 2)
        );
        let gib = |text: &str| ByteSize::parse(text, BareUnit::Gib).unwrap().gib_decimal();
        assert_eq!(gib("4GiB"), "4");
        assert_eq!(gib("512MiB"), "0.5");
        assert_eq!(gib("1TiB"), "1024");
    }

    #[test]
    fn byte_counts_read_like_du_h() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(12 * 1024), "12.0 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
    }

    #[test]
    fn durations() {
        let secs = |text: &str| parse_duration(text).map(|d| d.as_secs());
        assert_eq!(secs("90"), Some(90));
        assert_eq!(secs("10m"), Some(600));
        assert_eq!(secs("1h"), Some(3600));
        assert_eq!(secs("1d"), None);
        assert_eq!(secs("0s"), None);
    }
}
