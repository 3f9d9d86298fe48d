//! Plots drawn with plotters, each as SVG (also inlined into report.html) and PNG.
use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

use super::summary;
use crate::bench::ENGINES;
use crate::runner::Results;
use crate::scenario::PlotKind;

/// A drawn plot: its title and files.
pub struct Plot {
    pub title: String,
    pub svg: String,
    pub png: String,
    pub inline_svg: String,
}

/// Where Debian's fonts-dejavu-core puts the font text is drawn with.
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Makes the font the plots' text is in: plotters' (for layout and SVG) and the PNG
/// backend's ([`super::glyphs`]).
pub(super) fn register_font() -> anyhow::Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let bytes = std::fs::read(FONT).map_err(|e| {
            format!("cannot read {FONT} (Debian package fonts-dejavu-core, installed by ci/setup): {e}")
        })?;
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        super::glyphs::set_font(bytes).map_err(|_| format!("{FONT} is not a usable font"))?;
        plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
            .map_err(|_| format!("{FONT} is not a usable font"))
    })
    .clone()
    .map_err(anyhow::Error::msg)
}

/// The height of every plot, and the width of one with few bar groups.
const SIZE: (u32, u32) = (1400, 560);
/// Width each bar group needs for its label ("packet_filter 2560") at the label size.
const GROUP_WIDTH: u32 = 150;
const LABEL_FONT: u32 = 14;
const AXIS_TITLE_FONT: u32 = 18;
const TITLE_FONT: u32 = 24;

/// A log axis's tick label: 1, 2 and 5 times a power of ten only (the ticks between
/// them, 600 ... 900, 1k, run together).
fn log_tick(v: f64) -> String {
    let lead = v / 10f64.powf(v.abs().max(1e-9).log10().floor());
    if [1.0, 2.0, 5.0].iter().any(|m| (lead - m).abs() < 1e-6) {
        short_number(v)
    } else {
        String::new()
    }
}

/// An axis figure as people read it: 950, 1.5k, 20k, 3M, 1.2G.
pub fn short_number(v: f64) -> String {
    let (scaled, suffix) = match v.abs() {
        a if a >= 1e9 => (v / 1e9, "G"),
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let text = if scaled.fract().abs() < 1e-9 || scaled.abs() >= 100.0 {
        format!("{scaled:.0}")
    } else if scaled.abs() >= 10.0 {
        format!("{scaled:.1}")
    } else {
        format!("{scaled:.2}")
    };
    // 1.50 reads as 1.5, 2.0 as 2.
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text };
    format!("{text}{suffix}")
}

fn engine_colour(engine: &str) -> RGBColor {
    match engine {
        "interp" => RGBColor(0x4c, 0x72, 0xb0),
        "jit" => RGBColor(0xdd, 0x84, 0x52),
        "rbpf" => RGBColor(0x8c, 0x8c, 0x8c),
        _ => RGBColor(0x55, 0xa8, 0x68),
    }
}

/// A chart's frame: its title, and room for the axes' figures and titles.
fn chart_builder<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x_label_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder.caption(title, ("sans-serif", TITLE_FONT)).margin(14).x_label_area_size(x_label_area).y_label_area_size(90);
    builder
}

/// The series' names and colours, in the upper left corner.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", LABEL_FONT))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// One bar group per label, one bar per series; log y axis.
struct Bars {
    title: String,
    y_label: String,
    labels: Vec<String>,
    /// (series name, colour, value per label)
    series: Vec<(String, RGBColor, Vec<Option<f64>>)>,
    log: bool,
}

fn draw_bars<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, b: &Bars) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let values: Vec<f64> = b.series.iter().flat_map(|(_, _, v)| v.iter().flatten().copied()).collect();
    let tallest = values.iter().cloned().fold(1.0, f64::max) * 1.2;
    let min = values.iter().cloned().fold(f64::MAX, f64::min).max(1.0) / 2.0;
    // Room above the tallest bar for the legend in the upper left (its rows' share of
    // the plot's height), so that it covers no bar.
    let legend = (b.series.len() as f64 * 20.0 + 30.0) / (SIZE.1 as f64 - 130.0);
    let max =
        if b.log { ((tallest.ln() - legend * min.ln()) / (1.0 - legend)).exp() } else { tallest / (1.0 - legend) };
    let n = b.labels.len().max(1);
    let groups = b.series.len().max(1) as f64;
    let err = |e| anyhow::anyhow!("{e:?}");
    macro_rules! body {
        ($chart:expr, $base:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n + 1)
                .x_label_style(("sans-serif", LABEL_FONT))
                .y_label_style(("sans-serif", LABEL_FONT))
                .axis_desc_style(("sans-serif", AXIS_TITLE_FONT))
                .y_label_formatter(&|y: &f64| short_number(*y))
                .x_label_formatter(&|x: &f64| {
                    // Groups are centred on whole numbers.
                    let i = x.round();
                    if (x - i).abs() < 0.01 && i >= 0.0 {
                        b.labels.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .y_desc(b.y_label.as_str())
                .draw()
                .map_err(err)?;
            for (k, (name, colour, vals)) in b.series.iter().enumerate() {
                let colour = *colour;
                let rects = vals.iter().enumerate().filter_map(|(i, v)| {
                    let v = (*v)?;
                    let x0 = i as f64 - 0.4 + 0.8 * k as f64 / groups;
                    Some(Rectangle::new([(x0, $base), (x0 + 0.8 / groups, v)], colour.filled()))
                });
                chart
                    .draw_series(rects)
                    .map_err(err)?
                    .label(name.as_str())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
            }
            draw_legend(&mut chart)?;
        }};
    }
    let mut builder = chart_builder(&root, &b.title, 36);
    if b.log {
        body!(builder.build_cartesian_2d(-0.5f64..n as f64 - 0.5, (min..max).log_scale()).map_err(err)?, min);
    } else {
        body!(builder.build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..max).map_err(err)?, 0.0);
    }
    root.present().map_err(err)?;
    Ok(())
}

fn save(dir: &Path, file: &str, b: &Bars) -> anyhow::Result<Plot> {
    // Groups with no value in any series are left out.
    let keep: Vec<usize> = (0..b.labels.len())
        .filter(|&i| b.series.iter().any(|(_, _, v)| v.get(i).copied().flatten().is_some()))
        .collect();
    let b = &Bars {
        title: b.title.clone(),
        y_label: b.y_label.clone(),
        labels: keep.iter().map(|&i| b.labels[i].clone()).collect(),
        series: b.series.iter().map(|(n, c, v)| (n.clone(), *c, keep.iter().map(|&i| v[i]).collect())).collect(),
        log: b.log,
    };
    // Wide enough that no two group labels meet.
    let size = (SIZE.0.max(GROUP_WIDTH * b.labels.len() as u32 + 200), SIZE.1);
    write_both(dir, file, &b.title, size, |area| draw_bars(area, b), |area| draw_bars(area, b))
}

/// Draws a plot into an SVG string (written and kept for inlining) and a PNG file.
fn write_both(
    dir: &Path,
    file: &str,
    title: &str,
    size: (u32, u32),
    svg_drawing: impl FnOnce(DrawingArea<SVGBackend, Shift>) -> anyhow::Result<()>,
    png_drawing: impl FnOnce(DrawingArea<super::glyphs::Png, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<Plot> {
    let mut svg = String::new();
    svg_drawing(SVGBackend::with_string(&mut svg, size).into_drawing_area())?;
    std::fs::write(dir.join(format!("{file}.svg")), &svg)?;
    let png = dir.join(format!("{file}.png"));
    png_drawing(super::glyphs::Png::new(&png, size).into_drawing_area())
        .with_context(|| format!("drawing {}", png.display()))?;
    // Inline SVG needs no XML prolog.
    let inline_svg = svg.trim_start_matches(|c| c != '<').to_string();
    Ok(Plot { title: title.to_string(), svg: format!("{file}.svg"), png: format!("{file}.png"), inline_svg })
}

/// A named, coloured series of (x, y) points.
type PointSeries = (String, RGBColor, Vec<(f64, f64)>);

/// Lines (or points) of y against x, one series per name.
struct Lines {
    title: String,
    x_label: String,
    y_label: String,
    /// (series name, colour, points sorted by x)
    series: Vec<PointSeries>,
    /// Join the points of a series with a line (else points only, labelled).
    joined: bool,
    /// A text per point, drawn beside it when the points are not joined.
    point_labels: Vec<String>,
    /// Log-log axes (else linear from 0).
    log: bool,
    /// A dashed line `y = slope × x` through the origin, named (a goal per unit of x;
    /// linear axes only).
    slope: Option<(String, f64)>,
}

/// A label's box in pixels: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);
/// A straight line from one pixel to another.
type Segment = ((i32, i32), (i32, i32));

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Whether the segment from `p` to `q` passes through `r` (a straight line: its y over
/// the box's x-range is one interval).
fn crosses(r: Rect, (p, q): Segment) -> bool {
    let (x0, x1) = (p.0.min(q.0).max(r.0), p.0.max(q.0).min(r.2));
    if x0 > x1 {
        return false;
    }
    let y_at = |x: i32| p.1 as f64 + (q.1 - p.1) as f64 * (x - p.0) as f64 / (q.0 - p.0) as f64;
    let (ya, yb) = if p.0 == q.0 { (p.1 as f64, q.1 as f64) } else { (y_at(x0), y_at(x1)) };
    ya.min(yb) <= r.3 as f64 && ya.max(yb) >= r.1 as f64
}

/// Where each point's label goes (its box's top left, in pixels): beside its point,
/// right, left, above or below it, then the diagonals, then as much again further out,
/// then up to three rows above or below the places right and left of it (as crowded
/// points' labels stack), at the first place inside `area` and clear of the labels
/// placed before it, of every point's marker, of `lines` and of the boxes in `avoid`;
/// right of its point if none is. (Written here: plotters draws text where it is told
/// and places none.)
fn place_labels(
    points: &[(i32, i32)],
    sizes: &[(u32, u32)],
    lines: &[Segment],
    avoid: &[Rect],
    area: Rect,
) -> Vec<(i32, i32)> {
    const GAP: i32 = 8;
    const MARKER: i32 = 6;
    let mut fixed: Vec<Rect> = points.iter().map(|&(x, y)| (x - MARKER, y - MARKER, x + MARKER, y + MARKER)).collect();
    fixed.extend_from_slice(avoid);
    let mut placed: Vec<Rect> = Vec::new();
    points
        .iter()
        .zip(sizes)
        .map(|(&(x, y), &(w, h))| {
            let (w, h) = (w as i32, h as i32);
            let beside = (1..=2).flat_map(|k| {
                let g = GAP * k;
                [
                    (x + g, y - h / 2),
                    (x - g - w, y - h / 2),
                    (x - w / 2, y - g - h),
                    (x - w / 2, y + g),
                    (x + g, y - g - h),
                    (x + g, y + g),
                    (x - g - w, y - g - h),
                    (x - g - w, y + g),
                ]
            });
            let rows = (1..=3).flat_map(|k| {
                let dy = k * (h + 2);
                [
                    (x + GAP, y - h / 2 - dy),
                    (x + GAP, y - h / 2 + dy),
                    (x - GAP - w, y - h / 2 - dy),
                    (x - GAP - w, y - h / 2 + dy),
                ]
            });
            let fits = |&(l, t): &(i32, i32)| {
                let r = (l, t, l + w, t + h);
                r.0 >= area.0
                    && r.1 >= area.1
                    && r.2 <= area.2
                    && r.3 <= area.3
                    && !placed.iter().chain(&fixed).any(|&o| overlaps(r, o))
                    && !lines.iter().any(|&s| crosses(r, s))
            };
            let at = beside.chain(rows).find(fits).unwrap_or((x + GAP, y - h / 2));
            placed.push((at.0, at.1, at.0 + w, at.1 + h));
            at
        })
        .collect()
}

fn draw_lines<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, l: &Lines) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e| anyhow::anyhow!("{e:?}");
    root.fill(&WHITE).map_err(err)?;
    let points: Vec<(f64, f64)> = l.series.iter().flat_map(|(_, _, p)| p.iter().copied()).collect();
    let max = |f: fn(&(f64, f64)) -> f64| points.iter().map(f).fold(1.0, f64::max);
    let min = |f: fn(&(f64, f64)) -> f64| points.iter().map(f).fold(f64::MAX, f64::min).max(1.0);
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .max_light_lines(4)
                .x_label_style(("sans-serif", LABEL_FONT))
                .y_label_style(("sans-serif", LABEL_FONT))
                .axis_desc_style(("sans-serif", AXIS_TITLE_FONT))
                .x_label_formatter(&|x: &f64| if l.log { log_tick(*x) } else { short_number(*x) })
                .y_label_formatter(&|y: &f64| short_number(*y))
                .x_desc(l.x_label.as_str())
                .y_desc(l.y_label.as_str())
                .draw()
                .map_err(err)?;
            for (name, colour, pts) in &l.series {
                let colour = *colour;
                if l.joined {
                    let style = ShapeStyle::from(&colour).stroke_width(3);
                    chart.draw_series(LineSeries::new(pts.iter().copied(), style)).map_err(err)?;
                }
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 5, colour.filled())))
                    .map_err(err)?
                    .label(name.as_str())
                    .legend(move |(x, y)| Circle::new((x + 5, y), 5, colour.filled()));
            }
            let mut lines = Vec::new();
            if let (Some((name, slope)), false) = (&l.slope, l.log) {
                // Ends where it leaves the plot, right or top.
                let (x_end, y_end) = (max(|p| p.0) * 1.15, max(|p| p.1) * 1.15);
                let x = if slope * x_end > y_end { y_end / slope } else { x_end };
                let grey = RGBColor(0x55, 0x55, 0x55);
                let style = ShapeStyle::from(&grey).stroke_width(2);
                chart
                    .draw_series(DashedLineSeries::new([(0.0, 0.0), (x, slope * x)], 10, 6, style))
                    .map_err(err)?
                    .label(name.as_str())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 12, y)], style));
                lines.push((chart.backend_coord(&(0.0, 0.0)), chart.backend_coord(&(x, slope * x))));
            }
            if !l.joined {
                // Each label beside its point, clear of the others, the points and the
                // goal's line (the legend's corner too).
                let style = TextStyle::from(("sans-serif", LABEL_FONT).into_font());
                let pts: Vec<(i32, i32)> =
                    l.series.iter().flat_map(|(_, _, p)| p.iter().map(|p| chart.backend_coord(p))).collect();
                let sizes = l
                    .point_labels
                    .iter()
                    .map(|t| root.estimate_text_size(t, &style).map_err(err))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let (xs, ys) = chart.plotting_area().get_pixel_range();
                // The legend's corner (two short entries at the label size).
                let legend = (xs.start, ys.start, xs.start + 260, ys.start + 70);
                let area = (xs.start, ys.start, xs.end, ys.end);
                let at = place_labels(&pts, &sizes, &lines, &[legend], area);
                for (text, &at) in l.point_labels.iter().zip(&at) {
                    root.draw(&Text::new(text.clone(), at, style.clone())).map_err(err)?;
                }
            }
            draw_legend(&mut chart)?;
        }};
    }
    let mut builder = chart_builder(&root, &l.title, 50);
    if l.log {
        let x = (min(|p| p.0) / 1.5)..(max(|p| p.0) * 1.5);
        let y = (min(|p| p.1) / 1.5)..(max(|p| p.1) * 1.5);
        body!(builder.build_cartesian_2d(x.log_scale(), y.log_scale()).map_err(err)?);
    } else {
        body!(builder.build_cartesian_2d(0.0..max(|p| p.0) * 1.15, 0.0..max(|p| p.1) * 1.15).map_err(err)?);
    }
    root.present().map_err(err)?;
    Ok(())
}

fn save_lines(dir: &Path, file: &str, l: &Lines) -> anyhow::Result<Plot> {
    write_both(dir, file, &l.title, SIZE, |area| draw_lines(area, l), |area| draw_lines(area, l))
}

/// Draws every plot the run has data for.
pub fn draw(dir: &Path, r: &Results) -> anyhow::Result<Vec<Plot>> {
    let mut plots = Vec::new();
    if r.benchmarks.is_empty() && r.deploys.is_empty() {
        return Ok(plots);
    }
    register_font()?;
    if !r.benchmarks.is_empty() {
        let rows = summary::rows(&r.benchmarks);
        let labels: Vec<String> = rows.iter().map(|r| format!("{} {}", r.kernel, r.data_size)).collect();
        let engines: Vec<&str> =
            ENGINES.iter().copied().filter(|e| rows.iter().any(|r| r.engines.contains_key(e))).collect();
        let series = |f: &dyn Fn(&summary::Row, &str) -> Option<f64>| -> Vec<(String, RGBColor, Vec<Option<f64>>)> {
            engines.iter().map(|e| (e.to_string(), engine_colour(e), rows.iter().map(|r| f(r, e)).collect())).collect()
        };
        let want = |p| r.report.plot(p);
        if want(PlotKind::ExecInsns) {
            plots.push(save(
                dir,
                "exec_insns",
                &Bars {
                    title: "Guest instructions per run".into(),
                    y_label: "instructions (log)".into(),
                    labels: labels.clone(),
                    series: series(&|r, e| r.insns(e).map(|v| v as f64)),
                    log: true,
                },
            )?);
        }
        if want(PlotKind::ExecCycles) && rows.iter().any(|r| r.engines.values().any(|e| e.cycles.is_some())) {
            let cycles = series(&|r, e| r.engines.get(e).and_then(|f| f.cycles).map(|v| v as f64));
            plots.push(save(
                dir,
                "exec_cycles",
                &Bars {
                    title: "Estimated Cortex-M4 cycles per run".into(),
                    y_label: "cycles (log)".into(),
                    labels: labels.clone(),
                    series: cycles,
                    log: true,
                },
            )?);
        }
        if want(PlotKind::VsNative) && engines.contains(&"native") {
            let vs: Vec<(String, RGBColor, Vec<Option<f64>>)> = engines
                .iter()
                .filter(|e| **e != "native")
                .map(|e| {
                    (format!("{e} / native"), engine_colour(e), rows.iter().map(|r| r.ratio(e, "native")).collect())
                })
                .collect();
            plots.push(save(
                dir,
                "vs_native",
                &Bars {
                    title: "Instructions relative to native code".into(),
                    y_label: "x native (log)".into(),
                    labels: labels.clone(),
                    series: vs,
                    log: true,
                },
            )?);
        }
        let fletcher: Vec<&summary::Row> = rows.iter().filter(|r| r.kernel == "fletcher16").collect();
        if want(PlotKind::SizeScaling) && fletcher.len() >= 2 {
            let series = engines
                .iter()
                .map(|e| {
                    let mut pts: Vec<(f64, f64)> =
                        fletcher.iter().filter_map(|r| Some((r.data_size as f64, r.insns(e)? as f64))).collect();
                    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    (e.to_string(), engine_colour(e), pts)
                })
                .collect();
            plots.push(save_lines(
                dir,
                "size_scaling",
                &Lines {
                    title: "Fletcher-16: cost against input size".into(),
                    x_label: "input bytes (log)".into(),
                    y_label: "guest instructions (log)".into(),
                    series,
                    joined: true,
                    point_labels: Vec::new(),
                    log: true,
                    slope: None,
                },
            )?);
        }
        // One point per program: builds of a kernel for other data sizes share its bytecode.
        let mut compiled: Vec<&summary::Row> =
            rows.iter().filter(|r| r.engines.get("jit").is_some_and(|j| j.compile_insns > 0)).collect();
        compiled.dedup_by(|a, b| a.kernel == b.kernel && a.bytecode_bytes == b.bytecode_bytes);
        if want(PlotKind::CompileCost) && !compiled.is_empty() {
            let pts = compiled
                .iter()
                .filter_map(|r| Some((r.bytecode_bytes as f64, r.engines.get("jit")?.compile_insns as f64)))
                .collect();
            plots.push(save_lines(
                dir,
                "compile_cost",
                &Lines {
                    title: "Compile cost against bytecode size".into(),
                    x_label: "bytecode bytes".into(),
                    y_label: "compile instructions".into(),
                    series: vec![("compiler".into(), engine_colour("jit"), pts)],
                    joined: false,
                    point_labels: compiled.iter().map(|r| r.kernel.clone()).collect(),
                    log: false,
                    slope: Some((
                        format!("goal: {} per bytecode byte", summary::COMPILE_PER_BYTE_GOAL),
                        summary::COMPILE_PER_BYTE_GOAL as f64,
                    )),
                },
            )?);
        }
        if want(PlotKind::CodeSize) && rows.iter().any(|r| r.engines.contains_key("jit")) {
            let cost = vec![
                (
                    "bytecode bytes".to_string(),
                    RGBColor(0x4c, 0x72, 0xb0),
                    rows.iter().map(|r| Some(r.bytecode_bytes as f64)).collect(),
                ),
                (
                    "JIT code bytes".to_string(),
                    RGBColor(0xdd, 0x84, 0x52),
                    rows.iter().map(|r| r.engines.get("jit").map(|j| j.code_bytes as f64)).collect(),
                ),
            ];
            plots.push(save(
                dir,
                "code_size",
                &Bars {
                    title: "Code size: bytecode and JIT output".into(),
                    y_label: "bytes".into(),
                    labels,
                    series: cost,
                    log: false,
                },
            )?);
        }
    }
    // A fleet's pulls as one distribution: bars per node stop being readable past a few dozen.
    const MOST_NODES_AS_BARS: usize = 24;
    let pulling = r.deploys.iter().map(|d| &d.node).collect::<std::collections::BTreeSet<_>>().len();
    if pulling > MOST_NODES_AS_BARS && r.report.plot(PlotKind::DeployLatency) {
        let mut lat: Vec<u64> = r.deploys.iter().filter(|d| d.accepted).map(|d| d.latency_ms).collect();
        lat.sort_unstable();
        let n = lat.len().max(1) as f64;
        let pts = lat.iter().enumerate().map(|(i, &ms)| ((i + 1) as f64 / n * 100.0, ms as f64)).collect();
        plots.push(save_lines(
            dir,
            "deploy_latency",
            &Lines {
                title: format!("Signed pull latency over {pulling} nodes ({} pulls, sorted)", lat.len()),
                x_label: "share of pulls this fast or faster (%)".into(),
                y_label: "host ms".into(),
                series: vec![("pulls".into(), RGBColor(0x4c, 0x72, 0xb0), pts)],
                joined: true,
                point_labels: Vec::new(),
                log: false,
                slope: None,
            },
        )?);
    } else if !r.deploys.is_empty() && r.report.plot(PlotKind::DeployLatency) {
        let nodes: Vec<String> =
            r.deploys.iter().map(|d| d.node.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let lat = |pct: f64| -> Vec<Option<f64>> {
            nodes
                .iter()
                .map(|n| {
                    let mut v: Vec<u64> =
                        r.deploys.iter().filter(|d| &d.node == n && d.accepted).map(|d| d.latency_ms).collect();
                    (!v.is_empty()).then(|| super::percentile(&mut v, pct) as f64)
                })
                .collect()
        };
        let series = vec![
            ("p50".to_string(), RGBColor(0x4c, 0x72, 0xb0), lat(50.0)),
            ("max".to_string(), RGBColor(0xc4, 0x4e, 0x52), lat(100.0)),
        ];
        plots.push(save(
            dir,
            "deploy_latency",
            &Bars {
                title: "Signed pull latency per node (host ms)".into(),
                y_label: "ms".into(),
                labels: nodes,
                series,
                log: false,
            },
        )?);
    }
    Ok(plots)
}

#[cfg(test)]
mod tests {
    use super::short_number;

    /// Results with one signed pull on each of `nodes` nodes.
    fn pulls(nodes: usize) -> crate::runner::Results {
        let deploys: Vec<_> = (0..nodes)
            .map(|i| {
                serde_json::json!({"step": "1", "node": format!("n-{i}"), "program": "p", "slot": 1, "tamper": "none",
                "run": 0, "ok": true, "accepted": true, "code": "2.04", "reason": "", "image_bytes": 64,
                "latency_ms": 100 + i, "pull_insns": null, "load_insns": null, "verify_insns": null})
            })
            .collect();
        serde_json::from_value(
            serde_json::json!({"scenario": "s", "description": "", "started_utc": "", "duration_ms": 0,
            "provenance": {}, "nodes": [], "steps": [], "deploys": deploys, "passed": true}),
        )
        .unwrap()
    }

    #[test]
    fn a_fleets_pulls_are_one_distribution_and_a_few_nodes_are_bars() {
        for (nodes, title) in [(30, "over 30 nodes (30 pulls, sorted)"), (3, "per node")] {
            let dir = tempfile::tempdir().unwrap();
            let plots = super::draw(dir.path(), &pulls(nodes)).unwrap();
            let [plot] = &plots[..] else { panic!("{} plots", plots.len()) };
            assert!(plot.title.contains(title), "{}", plot.title);
            let png = std::fs::read(dir.path().join(&plot.png)).unwrap();
            // The PNG's width (IHDR) stays a page's, whatever the fleet.
            assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1400);
        }
    }

    #[test]
    fn the_compile_cost_plot_draws_the_goal_per_byte() {
        let bench = |kernel: &str, bytes: u64, compile: u64| {
            serde_json::json!({"node": "m4", "kernel": kernel, "data_size": 640, "engine": "jit", "run": 0,
                "result": 1, "expected": 1, "ok": true, "error": null, "exec_insns": 1_000, "exec_cycles": null,
                "systick_insns": 1_000, "compile_insns": compile, "compile_cycles": null, "executed_ebpf": 10,
                "bytecode_bytes": bytes, "code_bytes": 800, "measured_by": "plugin"})
        };
        let r: crate::runner::Results = serde_json::from_value(serde_json::json!({"scenario": "s",
            "description": "", "started_utc": "", "duration_ms": 0, "provenance": {}, "nodes": [], "steps": [],
            "passed": true, "benchmarks": [bench("crc32", 448, 137_284), bench("sha256", 3_208, 1_074_929)]}))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let plots = super::draw(dir.path(), &r).unwrap();
        let plot = plots.iter().find(|p| p.title.starts_with("Compile cost")).expect("a compile-cost plot");
        let svg = std::fs::read_to_string(dir.path().join(&plot.svg)).unwrap();
        assert!(svg.contains("goal: 150 per bytecode byte"), "the goal's line is named in the legend");
        assert!(svg.contains("sha256") && svg.contains("crc32"), "each program is labelled");
    }

    #[test]
    fn labels_of_crowded_points_stay_clear_of_each_other_the_points_and_the_goal_line() {
        use super::{crosses, overlaps, place_labels};
        // The small kernels of `jit-vs-interp` where its plot puts them: pairs 10 to 20
        // pixels apart, just above the goal's line, the legend in the corner.
        let points = [(155, 474), (167, 464), (240, 435), (248, 424), (259, 444), (312, 392), (317, 410)];
        let sizes = [(80, 17), (80, 17), (95, 17), (90, 17), (45, 17), (70, 17), (120, 17)];
        let line = ((104, 494), (1385, 290));
        let legend = (104, 44, 364, 114);
        let area = (104, 44, 1385, 494);
        let at = place_labels(&points, &sizes, &[line], &[legend], area);
        let boxes: Vec<_> =
            at.iter().zip(&sizes).map(|(&(x, y), &(w, h))| (x, y, x + w as i32, y + h as i32)).collect();
        for (k, &b) in boxes.iter().enumerate() {
            assert!(
                b.0 >= area.0 && b.1 >= area.1 && b.2 <= area.2 && b.3 <= area.3,
                "label {k} leaves the plot: {b:?}"
            );
            assert!(!crosses(b, line), "label {k} is on the line: {b:?}");
            assert!(!overlaps(b, legend), "label {k} is on the legend: {b:?}");
            for (j, &o) in boxes.iter().enumerate().filter(|&(j, _)| j != k) {
                assert!(!overlaps(b, o), "labels {k} and {j} overlap: {b:?} {o:?}");
            }
            for &(x, y) in &points {
                assert!(!overlaps(b, (x - 5, y - 5, x + 5, y + 5)), "label {k} covers the point at {x},{y}");
            }
        }
        // Each label stays near its own point.
        for (k, (&(x, y), &b)) in points.iter().zip(&boxes).enumerate() {
            let dx = (x - b.0.max(x.min(b.2))).abs();
            let dy = (y - b.1.max(y.min(b.3))).abs();
            assert!(dx <= 60 && dy <= 60, "label {k} is {dx},{dy} from its point");
        }
        // A segment through a box crosses it; one beside it does not.
        assert!(crosses((0, 0, 10, 10), ((-5, -5), (20, 20))));
        assert!(!crosses((0, 0, 10, 10), ((20, 0), (40, 10))));
        assert!(!crosses((0, 0, 10, 10), ((0, 30), (30, 12))));
    }

    #[test]
    fn axis_figures_read_as_people_write_them() {
        let cases = [
            (0.0, "0"),
            (950.0, "950"),
            (1000.0, "1k"),
            (1500.0, "1.5k"),
            (20_000.0, "20k"),
            (12_500.0, "12.5k"),
            (250_000.0, "250k"),
            (1_000_000.0, "1M"),
            (3_250_000.0, "3.25M"),
            (1.2e9, "1.2G"),
            (0.5, "0.5"),
        ];
        for (value, text) in cases {
            assert_eq!(short_number(value), text, "{value}");
        }
        // A log axis labels 1, 2 and 5 times a power of ten.
        let ticks: Vec<String> = [100.0, 200.0, 300.0, 500.0, 900.0, 1000.0, 2000.0, 3000.0, 5e6]
            .into_iter()
            .map(super::log_tick)
            .filter(|t| !t.is_empty())
            .collect();
        assert_eq!(ticks, ["100", "200", "500", "1k", "2k", "5M"]);
    }
}
