//! CoAP over UDP: embassy-net (smoltcp) over the board's NIC, IPv4 and IPv6, on
//! UDP port 5683; a pull opens a socket of its own to the file server.
use alloc::vec;
use alloc::vec::Vec;

use embassy_executor::Spawner;
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{
    Config, ConfigV6, IpEndpoint, Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr, Stack, StackResources, StaticConfigV4,
    StaticConfigV6,
};
use proto::coap::proxy::CoapUri;
use static_cell::StaticCell;

use super::{Link, Uplink};
use crate::coap::client::FetchError;

use crate::println;

/// The addresses set at build time (`build.rs` checked them; see `MBPF_IPV4`, ...).
/// Defaults: QEMU user networking's 10.0.2.15/24 via 10.0.2.2, and fec0::15/64 via
/// fec0::2. The IPv6 link-local address (EUI-64 of the MAC) is added beside them.
const IPV4: &str = env!("MBPF_IPV4");
const IPV4_GATEWAY: &str = env!("MBPF_IPV4_GATEWAY");
const IPV6: &str = env!("MBPF_IPV6");
const IPV6_GATEWAY: &str = env!("MBPF_IPV6_GATEWAY");

fn cidr(s: &str) -> (&str, u8) {
    let (a, p) = s.split_once('/').unwrap_or((s, "0"));
    (a, p.parse().unwrap_or(0))
}

/// How the server's console line names the link.
pub const DESCRIPTION: &str = "udp port 5683";

/// The UDP link as the API holds it.
pub type Net = Stack<'static>;

/// The node's addresses, for `/info`.
pub fn addresses() -> Vec<alloc::string::String> {
    let ll = link_local(mac());
    vec![alloc::string::String::from(IPV4), alloc::string::String::from(IPV6), alloc::format!("{ll}/64")]
}

/// fe80::/64 with the modified EUI-64 of the MAC (RFC 4291 appendix A).
fn link_local(mac: [u8; 6]) -> Ipv6Address {
    Ipv6Address::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([mac[0] ^ 0x02, mac[1]]),
        u16::from_be_bytes([mac[2], 0xff]),
        u16::from_be_bytes([0xfe, mac[3]]),
        u16::from_be_bytes([mac[4], mac[5]]),
    )
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, crate::board::Nic>) -> ! {
    runner.run().await
}

/// The MAC, once the stack runs (for `/info`).
static MAC: critical_section::Mutex<core::cell::Cell<[u8; 6]>> =
    critical_section::Mutex::new(core::cell::Cell::new([0; 6]));

fn mac() -> [u8; 6] {
    critical_section::with(|cs| MAC.borrow(cs).get())
}

pub fn start(spawner: Spawner, board: crate::board::Resources) -> Net {
    let (nic, mac) = (board.nic, board.mac);
    critical_section::with(|cs| MAC.borrow(cs).set(mac));
    let (v4, v4_prefix) = cidr(IPV4);
    let (v6, v6_prefix) = cidr(IPV6);
    let v4: Ipv4Address = v4.parse().unwrap_or(Ipv4Address::new(10, 0, 2, 15));
    let v6: Ipv6Address = v6.parse().unwrap_or(Ipv6Address::new(0xfec0, 0, 0, 0, 0, 0, 0, 0x15));
    println!(
        "net: mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, ipv4 {}/{}, ipv6 {}/{} and {}",
        mac[0],
        mac[1],
        mac[2],
        mac[3],
        mac[4],
        mac[5],
        v4,
        v4_prefix,
        v6,
        v6_prefix,
        link_local(mac)
    );
    let mut config = Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(v4, v4_prefix),
        gateway: IPV4_GATEWAY.parse().ok(),
        dns_servers: Default::default(),
    });
    config.ipv6 = ConfigV6::Static(StaticConfigV6 {
        address: Ipv6Cidr::new(v6, v6_prefix),
        gateway: IPV6_GATEWAY.parse().ok(),
        dns_servers: Default::default(),
    });
    static RESOURCES: StaticCell<StackResources<4>> = StaticCell::new();
    // The seed only randomises ports and sequence numbers; the MAC makes it unique per node.
    let seed = u64::from_le_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], 0x6d, 0x62]);
    let (stack, runner) = embassy_net::new(nic, config, RESOURCES.init(StackResources::new()), seed);
    spawner.spawn(net_task(runner).expect("net task is spawned once"));
    stack
}

/// The largest UDP payload over a 1500-byte Ethernet MTU (IPv4).
const MAX_DATAGRAM: usize = 1472;

/// The server's socket: peers are UDP endpoints.
pub struct ServerLink<'a> {
    socket: UdpSocket<'a>,
}

impl Link for ServerLink<'_> {
    type Peer = IpEndpoint;

    async fn recv(&mut self, buf: &mut [u8]) -> (usize, IpEndpoint) {
        loop {
            // A truncated datagram is dropped.
            if let Ok((n, meta)) = self.socket.recv_from(buf).await {
                return (n, meta.endpoint);
            }
        }
    }

    async fn send(&mut self, bytes: &[u8], to: IpEndpoint) {
        if let Err(e) = self.socket.send_to(bytes, to).await {
            crate::println!("coap: send to {} failed: {:?}", to, e);
        }
    }
}

#[embassy_executor::task]
pub async fn server(spawner: Spawner, net: Net) -> ! {
    let mut rx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_meta = [PacketMetadata::EMPTY; 4];
    let mut rx_buf = vec![0u8; 4 * MAX_DATAGRAM];
    let mut tx_buf = vec![0u8; 4 * MAX_DATAGRAM];
    let mut socket = UdpSocket::new(net, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
    if let Err(e) = socket.bind(proto::COAP_PORT) {
        panic!("coap: bind failed: {e:?}");
    }
    crate::coap::server::run(ServerLink { socket }, net, spawner).await
}

/// A pull's socket, talking to the file server itself.
struct UdpUplink<'a> {
    socket: UdpSocket<'a>,
    to: IpEndpoint,
}

impl Uplink for UdpUplink<'_> {
    const FORWARDED: bool = false;

    async fn send(&mut self, bytes: &[u8]) -> Result<(), FetchError> {
        self.socket.send_to(bytes, self.to).await.map_err(|_| FetchError::Socket)
    }

    async fn recv(&mut self, buf: &mut [u8]) -> usize {
        loop {
            match self.socket.recv_from(buf).await {
                Ok((n, meta)) if meta.endpoint == self.to => return n,
                _ => {}
            }
        }
    }
}

/// Fetches a whole file from the file server `uri` names.
pub async fn get(net: Net, uri: &str, max: usize) -> Result<Vec<u8>, FetchError> {
    let target = CoapUri::parse(uri).map_err(|_| FetchError::BadUri)?.socket_addr();
    let mut rx_meta = [PacketMetadata::EMPTY; 2];
    let mut tx_meta = [PacketMetadata::EMPTY; 2];
    let mut rx_buf = vec![0u8; 1500];
    let mut tx_buf = vec![0u8; 600];
    let mut socket = UdpSocket::new(net, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
    socket.bind(0).map_err(|_| FetchError::Socket)?;
    let to = IpEndpoint::new(target.ip().into(), target.port());
    let mut uplink = UdpUplink { socket, to };
    crate::coap::client::fetch(&mut uplink, uri, max).await
}
