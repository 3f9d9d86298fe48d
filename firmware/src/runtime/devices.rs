//! The devices programs reach through helpers: a SAUL-style sensor registry with
//! emulated temperature and humidity sensors (readings set by the host, so tests are
//! deterministic), and GPIO on the board's LEDs and buttons.
use core::sync::atomic::{AtomicI16, AtomicU32, Ordering};

/// SAUL device classes (RIOT's `saul.h`): sensors are 0x80 | kind.
pub const SAUL_SENSE_TEMP: u8 = 0x82;
pub const SAUL_SENSE_HUM: u8 = 0x83;
/// phydat units (RIOT's `phydat.h`).
pub const UNIT_TEMP_C: u8 = 2;
pub const UNIT_PERCENT: u8 = 28;

pub struct Sensor {
    pub kind: u8,
    pub unit: u8,
    /// Decimal exponent of the reading: -2 means hundredths.
    pub scale: i8,
    reading: AtomicI16,
}

/// The registry; a program's device handle is index + 1 (0 means "none").
pub static SENSORS: [Sensor; 2] = [
    Sensor { kind: SAUL_SENSE_TEMP, unit: UNIT_TEMP_C, scale: -2, reading: AtomicI16::new(2150) },
    Sensor { kind: SAUL_SENSE_HUM, unit: UNIT_PERCENT, scale: -2, reading: AtomicI16::new(4500) },
];

impl Sensor {
    pub fn read(&self) -> i16 {
        self.reading.load(Ordering::Relaxed)
    }

    pub fn set(&self, v: i16) {
        self.reading.store(v, Ordering::Relaxed)
    }
}

/// The sensor behind a handle.
pub fn sensor(handle: u64) -> Option<&'static Sensor> {
    handle.checked_sub(1).and_then(|i| SENSORS.get(i as usize))
}

/// GPIO ports: 0 = LEDs (outputs), 1 = buttons (inputs).
pub const PORT_LEDS: u64 = 0;
pub const PORT_BUTTONS: u64 = 1;

/// What the LEDs were last set to (the register may not read back on every board).
static LEDS: AtomicU32 = AtomicU32::new(0);

pub fn gpio_read(port: u64, pin: u64) -> Option<bool> {
    if pin >= 32 {
        return None;
    }
    match port {
        PORT_LEDS => Some(LEDS.load(Ordering::Relaxed) >> pin & 1 != 0),
        PORT_BUTTONS => Some(crate::board::buttons() >> pin & 1 != 0),
        _ => None,
    }
}

pub fn gpio_write(port: u64, pin: u64, on: bool) -> Option<()> {
    if port != PORT_LEDS || pin >= crate::board::LED_COUNT as u64 {
        return None;
    }
    let mask = 1u32 << pin;
    let leds = if on {
        LEDS.fetch_or(mask, Ordering::Relaxed) | mask
    } else {
        LEDS.fetch_and(!mask, Ordering::Relaxed) & !mask
    };
    crate::board::set_leds(leds);
    Some(())
}
