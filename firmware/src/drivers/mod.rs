//! Hand-written drivers for devices no crate drives (each says why). Each takes its
//! base address or register block, so a board module decides where (and whether) it
//! exists.
#[cfg(feature = "board-mps2-an386")]
pub mod cmsdk_uart;
#[cfg(feature = "board-mps2-an386")]
pub mod lan9118;
#[cfg(feature = "board-nrf52840-dk")]
pub mod nrf_uart;
#[cfg(feature = "board-b-l475e-iot01a")]
pub mod stm32_usart;
