//! SVG line charts of the scaling figures, one series per server or kind of
//! check, drawn from the scenarios' results with plotters' SVG backend. The
//! backend writes text as SVG `<text>` elements, so no font is needed here:
//! the viewer renders the labels.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::Result;
use crate::scenarios::Results;
use crate::scenarios::eval_cpu::EvalPoint;
use crate::scenarios::watch_fanout::{SERVERS, WatchScale};

/// The size of every chart, in pixels.
const SIZE: (u32, u32) = (640, 400);
/// The series' colours, in order.
const COLOURS: [RGBColor; 2] = [RGBColor(0x1f, 0x77, 0xb4), RGBColor(0xd6, 0x27, 0x28)];

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    label: &'static str,
    points: Vec<(f64, f64)>,
}

/// One chart: its file name, title, axes and lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chart {
    /// The file it is written to, in the plot directory.
    pub(crate) file: &'static str,
    /// Its title, also the image's alternative text.
    pub(crate) title: &'static str,
    x_label: &'static str,
    y_label: &'static str,
    series: Vec<Series>,
}

/// The charts the results allow: fan-out time and server memory against
/// watchers, evaluation CPU against checks. A chart without two measured
/// points in any series is left out.
pub(crate) fn charts(results: &Results) -> Vec<Chart> {
    let scales = results
        .watch_fanout
        .as_ref()
        .map_or(&[][..], |watch| &watch.scales);
    let eval = results
        .eval_cpu
        .as_ref()
        .map_or(&[][..], |eval| &eval.points);
    let watch_series = |value: fn(&WatchScale) -> crate::scenarios::watch_fanout::PerServer| {
        SERVERS
            .into_iter()
            .map(|server| Series {
                label: server.name(),
                points: points(scales, |scale| {
                    (scale.watchers as f64, value(scale).get(server))
                }),
            })
            .collect()
    };
    let eval_series = [false, true]
        .into_iter()
        .map(|sync| Series {
            label: if sync {
                "plain closures (blocking pool)"
            } else {
                "async checks"
            },
            points: points(eval, |point: &EvalPoint| {
                let us = if sync { point.sync_us } else { point.async_us };
                (point.checks as f64, us)
            }),
        })
        .collect();
    [
        Chart {
            file: "watch_fanout.svg",
            title: "Watch fan-out: flip to last delivery",
            x_label: "watchers",
            y_label: "ms (median over flips)",
            series: watch_series(|scale| scale.fanout_ms),
        },
        Chart {
            file: "watch_memory.svg",
            title: "Watch server memory: RSS growth",
            x_label: "watchers",
            y_label: "MiB",
            series: watch_series(|scale| scale.memory_mib),
        },
        Chart {
            file: "eval_cpu.svg",
            title: "Evaluation CPU per interval",
            x_label: "checks",
            y_label: "µs CPU per interval",
            series: eval_series,
        },
    ]
    .into_iter()
    .filter(|chart| chart.series.iter().any(|series| series.points.len() >= 2))
    .collect()
}

/// `point(item)` for each item, leaving out values that are not finite.
fn points<T>(items: &[T], point: impl Fn(&T) -> (f64, f64)) -> Vec<(f64, f64)> {
    items
        .iter()
        .map(point)
        .filter(|(_, y)| y.is_finite())
        .collect()
}

/// Writes `chart` as an SVG file into `dir`; returns its path.
pub(crate) fn draw(chart: &Chart, dir: &Path) -> Result<PathBuf> {
    let path = dir.join(chart.file);
    render(chart, &path).map_err(|error| format!("cannot draw {}: {error}", path.display()))?;
    Ok(path)
}

/// Both axes on log scales: the scales span decades, and a cost linear in
/// watchers or checks is then a straight line of slope one.
fn render(chart: &Chart, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let all = || chart.series.iter().flat_map(|series| series.points.iter());
    let bounds = |value: fn(&(f64, f64)) -> f64| {
        let positive = all().map(value).filter(|value| *value > 0.0);
        let min = positive.clone().fold(f64::INFINITY, f64::min);
        let max = positive.fold(f64::MIN_POSITIVE, f64::max);
        (min.min(max) * 0.8)..(max * 1.25)
    };
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut context = ChartBuilder::on(&root)
        .caption(chart.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            bounds(|point| point.0).log_scale(),
            bounds(|point| point.1).log_scale(),
        )?;
    context
        .configure_mesh()
        .x_desc(format!("{} (log scale)", chart.x_label))
        .y_desc(format!("{} (log scale)", chart.y_label))
        .x_label_formatter(&round_label)
        .y_label_formatter(&round_label)
        .light_line_style(TRANSPARENT)
        .draw()?;
    for (series, colour) in chart.series.iter().zip(COLOURS) {
        context
            .draw_series(LineSeries::new(
                series.points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(series.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        context.draw_series(
            series
                .points
                .iter()
                .map(|&point| Circle::new(point, 3, colour.filled())),
        )?;
    }
    context
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// A log axis's label: only 1, 2 and 5 times a power of ten are labelled,
/// so that the labels do not crowd at the top of each decade.
fn round_label(value: &f64) -> String {
    let magnitude = value.log10().floor();
    let mantissa = value / 10_f64.powf(magnitude);
    let round = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|candidate| (mantissa - candidate).abs() < 1e-6);
    if round {
        // As many decimals as a value below 1 needs, none above.
        let decimals = (-magnitude).max(0.0) as usize;
        format!("{value:.decimals$}")
    } else {
        String::new()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenarios::watch_fanout::{PerServer, WatchFanout};

    /// Fan-out at 1k and 10k watchers, tonic-health's 1.5 times health-lib's.
    pub(crate) fn results() -> Results {
        let scales = [(1_000, 9.0), (10_000, 90.0)]
            .map(|(watchers, ms)| WatchScale {
                watchers,
                fanout_ms: PerServer::new(ms, ms * 1.5),
                memory_mib: PerServer::new(f64::NAN, f64::NAN),
            })
            .into();
        Results {
            watch_fanout: Some(WatchFanout {
                scales,
                headline: None,
            }),
            ..Results::default()
        }
    }

    #[test]
    fn log_axes_label_one_two_five() {
        assert_eq!(round_label(&1000.0), "1000");
        assert_eq!(round_label(&50_000.0), "50000");
        assert_eq!(round_label(&20.0), "20");
        assert_eq!(round_label(&3000.0), "");
        assert_eq!(round_label(&0.5), "0.5");
        assert_eq!(round_label(&0.02), "0.02");
    }

    #[test]
    fn charts_need_two_points() {
        let charts = charts(&results());
        let files: Vec<_> = charts.iter().map(|chart| chart.file).collect();
        assert_eq!(files, ["watch_fanout.svg"]);
        assert_eq!(
            charts[0].series[1].points,
            [(1_000.0, 13.5), (10_000.0, 135.0)]
        );
    }

    #[test]
    fn a_chart_renders_as_svg_with_its_text() {
        let dir = std::env::temp_dir().join(format!("bench-plots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let chart = &charts(&results())[0];
        let path = draw(chart, &dir).expect("drawn");
        let svg = std::fs::read_to_string(&path).expect("written");
        std::fs::remove_dir_all(&dir).expect("removed");
        assert!(svg.starts_with("<svg"), "{svg}");
        for text in [
            chart.title,
            "watchers",
            "tonic-health",
            "grpc-health-checks",
        ] {
            assert!(svg.contains(text), "{text} missing from {svg}");
        }
        assert!(svg.contains("<polyline"), "no line in {svg}");
    }
}
