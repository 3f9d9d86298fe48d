//! The hardware map: which boards are attached to this machine, through which debug
//! probe, and where each one's link is (its serial port, or its IP address). As
//! Zephyr's twister does, a scenario's `board/<board>` nodes are matched to the map's
//! entries; a node without an entry, or whose probe is not attached, is an error that
//! names what is missing.
//!
//! ```yaml
//! # One entry per board on the desk.
//! - board: b-l475e-iot01a
//!   probe: 0672FF485550755187121728   # the probe's serial number (`probe-rs list`)
//!   serial: /dev/ttyACM0              # its virtual COM port (serial boards)
//! - board: nucleo-f439zi
//!   probe: 066DFF555185754867174929
//!   address: 192.168.7.2              # the board's address (UDP boards)
//!   node: bench-a                     # optional: only the scenario node of this name
//! ```
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::firmware::Board;
use crate::serial::{SerialAddr, DEFAULT_BAUD};

/// One attached board.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub board: Board,
    /// The debug probe's serial number.
    pub probe: String,
    /// The board's serial port: its link (boards whose link is a UART), or its
    /// plain-text console (UDP boards).
    #[serde(default)]
    pub serial: Option<PathBuf>,
    #[serde(default)]
    pub baud: Option<u32>,
    /// The board's IP address (boards whose link is UDP).
    #[serde(default)]
    pub address: Option<IpAddr>,
    /// Reserve the entry for the scenario node of this name.
    #[serde(default)]
    pub node: Option<String>,
}

impl Entry {
    /// Where the board's CoAP server is reached: a serial line, or UDP.
    pub fn link(&self) -> Link {
        match (self.board.serial(), self.serial_port(), self.address) {
            (true, Some(line), _) => Link::Serial(line),
            (_, _, Some(ip)) => Link::Udp(SocketAddr::new(ip, proto::COAP_PORT)),
            _ => unreachable!("HardwareMap::parse checks every entry has its link"),
        }
    }

    /// The serial port, with its speed.
    pub fn serial_port(&self) -> Option<SerialAddr> {
        let path = self.serial.clone()?;
        Some(SerialAddr::Tty { path, baud: self.baud.unwrap_or(DEFAULT_BAUD) })
    }
}

/// A board's link, as the map gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Serial(SerialAddr),
    Udp(SocketAddr),
}

impl std::fmt::Display for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Link::Serial(line) => write!(f, "{line}"),
            Link::Udp(addr) => write!(f, "coap://{addr}"),
        }
    }
}

/// What is wrong with a hardware map or a node's place in it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MapError {
    #[error("cannot read the hardware map {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("hardware map {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("node {node} ({board}) has no entry in the hardware map {path}: {why}")]
    NoEntry { node: String, board: Board, path: PathBuf, why: String },
    #[error("node {node} ({board}): its probe {probe} is not attached (attached probes: {attached})")]
    ProbeNotAttached { node: String, board: Board, probe: String, attached: String },
    #[error("board/{board} nodes need a hardware map: pass --hardware-map FILE, or name one in the scenario")]
    Missing { board: Board },
}

/// The parsed map.
#[derive(Debug, Clone)]
pub struct HardwareMap {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

impl HardwareMap {
    pub fn load(path: &Path) -> Result<HardwareMap, MapError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| MapError::Read { path: path.to_path_buf(), message: e.to_string() })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<HardwareMap, MapError> {
        let invalid = |message: String| MapError::Invalid { path: path.to_path_buf(), message };
        let entries: Vec<Entry> = yaml_serde::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut probes = HashSet::new();
        for (i, e) in entries.iter().enumerate() {
            let at = format!("entry {} ({})", i + 1, e.board);
            if e.board.chip().probe_rs.is_none() {
                return Err(invalid(format!("{at}: {} is an emulated board; no probe reaches it", e.board)));
            }
            if e.probe.trim().is_empty() {
                return Err(invalid(format!("{at}: `probe` is empty; give the probe's serial number")));
            }
            if !probes.insert(e.probe.as_str()) {
                return Err(invalid(format!("{at}: probe {} is listed twice", e.probe)));
            }
            match (e.board.serial(), &e.serial, e.address) {
                (true, None, _) => return Err(invalid(format!("{at}: a serial board needs `serial: /dev/...`"))),
                (false, _, None) => return Err(invalid(format!("{at}: a UDP board needs `address: IP`"))),
                (_, Some(p), _) if !p.is_absolute() => {
                    return Err(invalid(format!("{at}: `serial` must be an absolute path, not {}", p.display())))
                }
                _ => {}
            }
        }
        Ok(HardwareMap { path: path.to_path_buf(), entries })
    }

    /// Gives each node (name, board) its entry: the one reserved for it by name, else
    /// the first free unreserved entry of its board, in the map's order.
    pub fn assign(&self, nodes: &[(String, Board)]) -> Result<Vec<&Entry>, MapError> {
        let mut taken = vec![false; self.entries.len()];
        let mut out = Vec::with_capacity(nodes.len());
        for (name, board) in nodes {
            let reserved = self.entries.iter().position(|e| e.node.as_deref() == Some(name.as_str()));
            let pick = match reserved {
                Some(i) if self.entries[i].board != *board => {
                    return Err(self.no_entry(name, *board, format!("its entry is a {}", self.entries[i].board)))
                }
                Some(i) => Some(i),
                None => (0..self.entries.len())
                    .find(|&i| !taken[i] && self.entries[i].node.is_none() && self.entries[i].board == *board),
            };
            let Some(i) = pick else {
                let of_board = self.entries.iter().filter(|e| e.board == *board).count();
                let why = if of_board == 0 {
                    format!("it lists no {board}")
                } else {
                    format!("its {of_board} {board} entries are taken by other nodes or reserved")
                };
                return Err(self.no_entry(name, *board, why));
            };
            taken[i] = true;
            out.push(&self.entries[i]);
        }
        Ok(out)
    }

    fn no_entry(&self, node: &str, board: Board, why: String) -> MapError {
        MapError::NoEntry { node: node.into(), board, path: self.path.clone(), why }
    }
}

/// Checks that the probe of `entry` is among `attached` (probe serial numbers).
pub fn check_attached(node: &str, entry: &Entry, attached: &[String]) -> Result<(), MapError> {
    if attached.iter().any(|a| a == &entry.probe) {
        return Ok(());
    }
    Err(MapError::ProbeNotAttached {
        node: node.into(),
        board: entry.board,
        probe: entry.probe.clone(),
        attached: if attached.is_empty() { "none".into() } else { attached.join(", ") },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "\
- board: b-l475e-iot01a
  probe: 0672FF485550755187121728
  serial: /dev/ttyACM0
- board: nucleo-f439zi
  probe: 066DFF555185754867174929
  address: 192.168.7.2
- board: b-l475e-iot01a
  probe: 0669FF3731324E4D43172545
  serial: /dev/ttyACM1
  baud: 230400
  node: bench-a
";

    fn map() -> HardwareMap {
        HardwareMap::parse(Path::new("lab.yaml"), MAP).unwrap()
    }

    #[test]
    fn nodes_get_their_reserved_entry_or_the_next_free_one_of_their_board() {
        let m = map();
        let nodes = [
            ("n-0".to_string(), Board::BL475eIot01a),
            ("bench-a".to_string(), Board::BL475eIot01a),
            ("eth".to_string(), Board::NucleoF439zi),
        ];
        let got = m.assign(&nodes).unwrap();
        assert_eq!(got[0].probe, "0672FF485550755187121728");
        assert_eq!(got[1].probe, "0669FF3731324E4D43172545");
        assert_eq!(got[1].link(), Link::Serial(SerialAddr::Tty { path: "/dev/ttyACM1".into(), baud: 230400 }));
        assert_eq!(got[2].link(), Link::Udp("192.168.7.2:5683".parse().unwrap()));
        assert_eq!(got[0].link(), Link::Serial(SerialAddr::Tty { path: "/dev/ttyACM0".into(), baud: 115200 }));
    }

    #[test]
    fn a_node_without_an_entry_is_an_error_naming_node_board_and_map() {
        let m = map();
        let two = [("a".to_string(), Board::BL475eIot01a), ("b".to_string(), Board::BL475eIot01a)];
        let e = m.assign(&two).unwrap_err().to_string();
        assert_eq!(
            e,
            "node b (b-l475e-iot01a) has no entry in the hardware map lab.yaml: its 2 b-l475e-iot01a entries are taken by other nodes or reserved"
        );
        let e = m.assign(&[("x".into(), Board::Nrf52840Dk)]).unwrap_err().to_string();
        assert!(e.ends_with("it lists no nrf52840-dk"), "{e}");
        let e = m.assign(&[("bench-a".into(), Board::NucleoF439zi)]).unwrap_err().to_string();
        assert!(e.ends_with("its entry is a b-l475e-iot01a"), "{e}");
    }

    #[test]
    fn an_unattached_probe_is_named_with_the_probes_that_are() {
        let m = map();
        let e = check_attached("n-0", &m.entries[0], &[]).unwrap_err().to_string();
        assert_eq!(
            e,
            "node n-0 (b-l475e-iot01a): its probe 0672FF485550755187121728 is not attached (attached probes: none)"
        );
        let e = check_attached("n-0", &m.entries[0], &["AAA".into(), "BBB".into()]).unwrap_err().to_string();
        assert!(e.ends_with("(attached probes: AAA, BBB)"), "{e}");
        check_attached("n-0", &m.entries[0], &["0672FF485550755187121728".into()]).unwrap();
    }

    #[test]
    fn bad_maps_are_refused_with_the_entry_and_the_reason() {
        let bad = |text: &str| HardwareMap::parse(Path::new("m.yaml"), text).unwrap_err().to_string();
        assert!(bad("- board: nucleo-f439zi\n  probe: A\n")
            .contains("entry 1 (nucleo-f439zi): a UDP board needs `address: IP`"));
        assert!(bad("- board: nrf52840-dk\n  probe: A\n").contains("a serial board needs `serial: /dev/...`"));
        assert!(bad("- board: nrf52840-dk\n  probe: A\n  serial: ttyACM0\n").contains("must be an absolute path"));
        assert!(bad("- board: mps2-an386\n  probe: A\n  address: 10.0.0.1\n").contains("an emulated board"));
        let twice =
            "- board: nrf52840-dk\n  probe: A\n  serial: /dev/a\n- board: nrf52840-dk\n  probe: A\n  serial: /dev/b\n";
        assert!(bad(twice).contains("entry 2 (nrf52840-dk): probe A is listed twice"));
        assert!(bad("- board: esp32\n  probe: A\n").contains("esp32"));
        assert!(bad("- board: nrf52840-dk\n  probe: A\n  serial: /dev/a\n  sreial: x\n").contains("sreial"));
        assert!(bad("- board: nucleo-f439zi\n  probe: A\n  address: not-an-ip\n").starts_with("hardware map m.yaml: "));
        assert!(bad("- board: nrf52840-dk\n  probe: ''\n  serial: /dev/a\n").contains("`probe` is empty"));
        let missing = HardwareMap::load(Path::new("/nonexistent/map.yaml")).unwrap_err().to_string();
        assert!(missing.starts_with("cannot read the hardware map /nonexistent/map.yaml"), "{missing}");
    }
}
