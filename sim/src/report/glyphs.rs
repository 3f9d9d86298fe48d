//! The PNG backend: plotters' bitmap backend with text drawn where the font puts each
//! glyph. plotters 0.3.7 draws ab_glyph text with each glyph's bitmap at the pen,
//! leaving out the glyph's left side bearing, so narrow letters land on their
//! neighbours ("jit" reads "jt", "native" "nati ve"). SVG is not affected: its viewer
//! lays text out. Written here because no plotters release has the fix; everything but
//! text goes to the bitmap backend as it is.
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

/// The font every plot's text is in (the one `super::plots` registers with plotters).
static FONT: OnceLock<FontRef<'static>> = OnceLock::new();

/// Sets the font text is drawn in; the first call wins.
pub fn set_font(bytes: &'static [u8]) -> Result<(), ab_glyph::InvalidFont> {
    let font = FontRef::try_from_slice(bytes)?;
    let _ = FONT.set(font);
    Ok(())
}

pub struct Png<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> Png<'a> {
    pub fn new(path: &'a std::path::Path, size: (u32, u32)) -> Self {
        Png { inner: BitMapBackend::new(path, size) }
    }
}

type Error = DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

impl DrawingBackend for Png<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Error> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Error> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Result<(), Error> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), Error> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> Result<(u32, u32), Error> {
        self.inner.estimate_text_size(text, style)
    }

    /// As plotters draws text (its layout box, anchor, rotation and baseline), with
    /// each glyph at its pen position plus its bearing.
    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Result<(), Error> {
        let Some(font) = FONT.get() else {
            return self.inner.draw_text(text, style, pos);
        };
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        let size = style.size() as f32;
        let scaled = font.as_scaled(size);
        let mut pen = 0f32;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(p) = previous {
                pen += scaled.kern(p, id);
            }
            previous = Some(id);
            if let Some(outline) = scaled.outline_glyph(scaled.scaled_glyph(c)) {
                let bounds = outline.px_bounds();
                // plotters' baseline: half the size below the text's top.
                let (left, top) = ((pen + bounds.min.x) as i32, (size / 2.0 + bounds.min.y) as i32);
                let mut pixels = Vec::new();
                outline.draw(|x, y, coverage| pixels.push((x as i32 + left, y as i32 + top, coverage)));
                for (x, y, coverage) in pixels {
                    let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
                    let (x, y) = (pos.0 + x, pos.1 + y);
                    if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                        let mixed = BackendColor { alpha: color.alpha * f64::from(coverage), rgb: color.rgb };
                        self.inner.draw_pixel((x, y), mixed)?;
                    }
                }
            }
            pen += scaled.h_advance(id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use plotters::prelude::*;

    /// The columns of `png` (RGB rows) that hold a dark pixel, as runs.
    fn inked_runs(rgb: &[u8], width: usize) -> Vec<(usize, usize)> {
        let inked: Vec<bool> = (0..width)
            .map(|x| rgb.chunks(width * 3).any(|row| row[x * 3..x * 3 + 3].iter().all(|&v| v < 128)))
            .collect();
        let mut runs = Vec::new();
        let mut start = None;
        for (x, &on) in inked.iter().chain([&false]).enumerate() {
            match (on, start) {
                (true, None) => start = Some(x),
                (false, Some(s)) => {
                    runs.push((s, x));
                    start = None;
                }
                _ => {}
            }
        }
        runs
    }

    /// "l l" drawn large: each stroke starts its glyph's left side bearing past its pen
    /// position (the text's start, then one "l" and a space on), as the font's metrics
    /// say; plotters' own drawing started each at the pen.
    #[test]
    fn narrow_glyphs_keep_their_bearings() {
        use ab_glyph::{Font, ScaleFont};
        super::super::plots::register_font().unwrap();
        let font = super::FONT.get().expect("the font is set with plotters'");
        let scaled = font.as_scaled(60.0);
        let (l, space) = (scaled.glyph_id('l'), scaled.glyph_id(' '));
        let bearing = scaled.h_side_bearing(l);
        let second_pen = scaled.h_advance(l) + scaled.kern(l, space) + scaled.h_advance(space) + scaled.kern(space, l);
        let (w, h) = (200u32, 80u32);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        {
            let backend = super::Png { inner: BitMapBackend::with_buffer(&mut buf, (w, h)) };
            let root = backend.into_drawing_area();
            root.fill(&WHITE).unwrap();
            root.draw(&Text::new("l l", (20, 10), ("sans-serif", 60).into_font())).unwrap();
            root.present().unwrap();
        }
        let runs = inked_runs(&buf, w as usize);
        let [(a0, a1), (b0, b1)] = runs[..] else { panic!("two strokes expected: {runs:?}") };
        assert!(bearing > 2.0, "the test needs a visible bearing: {bearing}");
        let near = |x: usize, want: f32| (x as f32 - want).abs() <= 1.5;
        assert!(near(a0, 20.0 + bearing), "first stroke at {a0}, the font puts it at {}: {runs:?}", 20.0 + bearing);
        assert!(
            near(b0, 20.0 + second_pen + bearing),
            "second at {b0}, the font puts it at {}",
            20.0 + second_pen + bearing
        );
        assert_eq!(a1 - a0, b1 - b0, "{runs:?}");
    }
}
