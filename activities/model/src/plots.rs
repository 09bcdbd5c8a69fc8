//! PNG plots drawn with plotters' bitmap backend. Numbers are drawn with a built-in 3×5 pixel digit font, so no
//! system font files are needed (servers and CI images often have none).

use std::path::Path;

use plotters::prelude::*;

use crate::error::ModelError;

const SCALE: i32 = 2;
const DIGIT_W: i32 = 4 * SCALE;

/// Row-normalised confusion matrix as a heat map, class codes on the left and top (top ones read downwards).
pub fn confusion_matrix(
    path: &Path,
    labels: &[i64],
    confusion: &[Vec<usize>],
) -> Result<(), ModelError> {
    let k = labels.len() as i32;
    let cell = 28;
    let margin = 12 * SCALE + 4 * DIGIT_W;
    let side = (margin + k * cell + 10).max(64) as u32;
    draw(path, (side, side), |area| {
        for (i, label) in labels.iter().enumerate() {
            let i = i as i32;
            draw_number(
                area,
                *label,
                (6, margin + i * cell + cell / 2 - 5 * SCALE / 2),
                BLACK,
            )?;
            draw_number_vertical(
                area,
                *label,
                (margin + i * cell + cell / 2 - 3 * SCALE / 2, 6),
            )?;
        }
        for (i, row) in confusion.iter().enumerate() {
            let total: usize = row.iter().sum();
            for (j, &count) in row.iter().enumerate() {
                let share = if total == 0 {
                    0.0
                } else {
                    count as f64 / total as f64
                };
                let fade = (255.0 * (1.0 - share)) as u8;
                let color = if i == j {
                    RGBColor(fade, 255 - (share * 100.0) as u8, fade)
                } else {
                    RGBColor(255, fade, fade)
                };
                let (x, y) = (margin + j as i32 * cell, margin + i as i32 * cell);
                area.draw(&Rectangle::new(
                    [(x, y), (x + cell - 1, y + cell - 1)],
                    color.filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(x, y), (x + cell, y + cell)],
                    RGBColor(220, 220, 220),
                ))?;
            }
        }
        Ok(())
    })
}

/// Horizontal bars: rows per class, class code on the left, count at the end of the bar.
pub fn class_distribution(path: &Path, counts: &[(i64, usize)]) -> Result<(), ModelError> {
    let row = 22;
    let margin = 5 * DIGIT_W + 12;
    let bar_max = 600;
    let width = (margin + bar_max + 8 * DIGIT_W) as u32;
    let height = (counts.len() as i32 * row + 20).max(40) as u32;
    let max = counts.iter().map(|c| c.1).max().unwrap_or(1).max(1);
    draw(path, (width, height), |area| {
        for (i, (label, count)) in counts.iter().enumerate() {
            let y = 10 + i as i32 * row;
            draw_number(area, *label, (6, y + 4), BLACK)?;
            let len = (bar_max as f64 * *count as f64 / max as f64).round() as i32;
            area.draw(&Rectangle::new(
                [(margin, y), (margin + len, y + row - 6)],
                RGBColor(70, 110, 190).filled(),
            ))?;
            draw_number(
                area,
                *count as i64,
                (margin + len + 6, y + 4),
                RGBColor(60, 60, 60),
            )?;
        }
        Ok(())
    })
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
type DrawResult =
    Result<(), DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

fn draw(
    path: &Path,
    size: (u32, u32),
    body: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<(), ModelError> {
    let to_err = |e: &dyn std::fmt::Display| ModelError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let area = BitMapBackend::new(path, size).into_drawing_area();
    area.fill(&WHITE).map_err(|e| to_err(&e))?;
    body(&area).map_err(|e| to_err(&e))?;
    area.present().map_err(|e| to_err(&e))
}

/// 3×5 glyphs of 0-9 and '-', one row per u8 (3 low bits, MSB left).
const GLYPHS: [[u8; 5]; 11] = [
    [7, 5, 5, 5, 7],
    [2, 6, 2, 2, 7],
    [7, 1, 7, 4, 7],
    [7, 1, 7, 1, 7],
    [5, 5, 7, 1, 1],
    [7, 4, 7, 1, 7],
    [7, 4, 7, 5, 7],
    [7, 1, 1, 1, 1],
    [7, 5, 7, 5, 7],
    [7, 5, 7, 1, 7],
    [0, 0, 7, 0, 0],
];

fn glyph(c: char) -> Option<&'static [u8; 5]> {
    match c {
        '0'..='9' => GLYPHS.get(c as usize - '0' as usize),
        '-' => Some(&GLYPHS[10]),
        _ => None,
    }
}

fn draw_glyph(area: &Area<'_>, g: &[u8; 5], (x, y): (i32, i32), color: RGBColor) -> DrawResult {
    for (r, bits) in g.iter().enumerate() {
        for c in 0..3 {
            if bits & (4 >> c) != 0 {
                let (px, py) = (x + c * SCALE, y + r as i32 * SCALE);
                area.draw(&Rectangle::new(
                    [(px, py), (px + SCALE, py + SCALE)],
                    color.filled(),
                ))?;
            }
        }
    }
    Ok(())
}

fn draw_number(area: &Area<'_>, n: i64, (x, y): (i32, i32), color: RGBColor) -> DrawResult {
    for (i, c) in n.to_string().chars().enumerate() {
        if let Some(g) = glyph(c) {
            draw_glyph(area, g, (x + i as i32 * DIGIT_W, y), color)?;
        }
    }
    Ok(())
}

fn draw_number_vertical(area: &Area<'_>, n: i64, (x, y): (i32, i32)) -> DrawResult {
    for (i, c) in n.to_string().chars().enumerate() {
        if let Some(g) = glyph(c) {
            draw_glyph(area, g, (x, y + i as i32 * 6 * SCALE), BLACK)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pngs() {
        let dir = tempfile::tempdir().unwrap();
        let cm = dir.path().join("cm.png");
        confusion_matrix(&cm, &[10, 2905], &[vec![3, 1], vec![0, 2]]).unwrap();
        let dist = dir.path().join("dist.png");
        class_distribution(&dist, &[(10, 5), (2905, 12)]).unwrap();
        for p in [cm, dist] {
            assert_eq!(&std::fs::read(p).unwrap()[1..4], b"PNG");
        }
    }
}
