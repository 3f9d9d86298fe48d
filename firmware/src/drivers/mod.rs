//! Hand-written drivers for devices no crate drives. Each is generic over its base
//! address so a board module decides where (and whether) it exists.
pub mod cmsdk_uart;
pub mod lan9118;
