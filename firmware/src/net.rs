//! The network stack: embassy-net (smoltcp) over the board's NIC, IPv4 and IPv6.
use embassy_executor::Spawner;
use embassy_net::{
    Config, ConfigV6, Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr, Stack, StackResources,
    StaticConfigV4, StaticConfigV6,
};
use static_cell::StaticCell;

use crate::drivers::lan9118::Lan9118;
use crate::println;

/// The default IPv4 address: what QEMU's user networking expects of its guest.
pub const IPV4_ADDRESS: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
const IPV4_GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
/// The default IPv6 address, in the prefix QEMU's user networking advertises.
pub const IPV6_ADDRESS: Ipv6Address = Ipv6Address::new(0xfec0, 0, 0, 0, 0, 0, 0, 0x15);
const IPV6_GATEWAY: Ipv6Address = Ipv6Address::new(0xfec0, 0, 0, 0, 0, 0, 0, 2);

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, Lan9118>) -> ! {
    runner.run().await
}

pub fn start(spawner: Spawner, nic: Lan9118) -> Stack<'static> {
    let mac = nic.mac_address();
    println!(
        "net: mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, ipv4 {}, ipv6 {}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], IPV4_ADDRESS, IPV6_ADDRESS
    );
    let mut config = Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(IPV4_ADDRESS, 24),
        gateway: Some(IPV4_GATEWAY),
        dns_servers: Default::default(),
    });
    config.ipv6 = ConfigV6::Static(StaticConfigV6 {
        address: Ipv6Cidr::new(IPV6_ADDRESS, 64),
        gateway: Some(IPV6_GATEWAY),
        dns_servers: Default::default(),
    });
    static RESOURCES: StaticCell<StackResources<4>> = StaticCell::new();
    // The seed only randomises ports and sequence numbers; the MAC makes it unique per node.
    let seed = u64::from_le_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], 0x6d, 0x62]);
    let (stack, runner) = embassy_net::new(nic, config, RESOURCES.init(StackResources::new()), seed);
    spawner.spawn(net_task(runner).expect("net task is spawned once"));
    stack
}
