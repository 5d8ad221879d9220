//! The report's progress chart as a PNG: per week of the period, tasks done that week (green)
//! and tasks overdue at its end (red), side by side, over a scale with gridlines. Drawn pixel
//! by pixel with a built-in digit font, so no system font is needed and the same weeks always
//! give the same bytes. The words (title, legend) are in the document's caption.

use nhip_engine::report::Week;

/// The image's width in pixels.
pub const WIDTH_PX: u32 = 1200;
/// The image's height in pixels.
pub const HEIGHT_PX: u32 = 440;

const LEFT: u32 = 70;
const RIGHT: u32 = 20;
const TOP: u32 = 30;
const BOTTOM: u32 = 50;

const WHITE: [u8; 3] = [255, 255, 255];
const AXIS: [u8; 3] = [40, 40, 40];
const GRID: [u8; 3] = [215, 215, 215];
const DONE: [u8; 3] = [46, 125, 50];
const OVERDUE: [u8; 3] = [198, 40, 40];

/// Digits 0–9 on a 3×5 grid, a row per entry, the top bit on the left.
const DIGITS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

struct Canvas {
    pixels: Vec<u8>,
}

impl Canvas {
    fn new() -> Canvas {
        Canvas {
            pixels: WHITE.repeat((WIDTH_PX * HEIGHT_PX) as usize),
        }
    }

    fn fill(&mut self, x: u32, y: u32, width: u32, height: u32, color: [u8; 3]) {
        for row in y..(y + height).min(HEIGHT_PX) {
            for column in x..(x + width).min(WIDTH_PX) {
                let at = ((row * WIDTH_PX + column) * 3) as usize;
                self.pixels[at..at + 3].copy_from_slice(&color);
            }
        }
    }

    /// Writes `number` with its right edge at `right` and its top at `top`.
    fn number(&mut self, number: u32, right: u32, top: u32, scale: u32, color: [u8; 3]) {
        let text = number.to_string();
        let advance = 4 * scale;
        let mut x = right.saturating_sub(advance * text.len() as u32);
        for digit in text.bytes() {
            let glyph = DIGITS[usize::from(digit - b'0')];
            for (row, bits) in glyph.iter().enumerate() {
                for column in 0..3 {
                    if bits & (0b100 >> column) != 0 {
                        self.fill(
                            x + column * scale,
                            top + row as u32 * scale,
                            scale,
                            scale,
                            color,
                        );
                    }
                }
            }
            x += advance;
        }
    }
}

/// A rounded-up scale top and the step between gridlines.
fn scale(max: u32) -> (u32, u32) {
    let max = max.max(1);
    let step = match max {
        0..=5 => 1,
        6..=10 => 2,
        11..=25 => 5,
        26..=50 => 10,
        51..=100 => 20,
        101..=250 => 50,
        251..=500 => 100,
        _ => 10_u32.pow(max.ilog10()),
    };
    (max.div_ceil(step) * step, step)
}

/// The chart of `weeks` as PNG bytes.
pub fn draw(weeks: &[Week]) -> Vec<u8> {
    let mut canvas = Canvas::new();
    let plot_width = WIDTH_PX - LEFT - RIGHT;
    let plot_height = HEIGHT_PX - TOP - BOTTOM;
    let base = TOP + plot_height;
    let highest = weeks
        .iter()
        .map(|week| week.done.max(week.overdue))
        .max()
        .unwrap_or(0);
    let (top_value, step) = scale(highest);
    let mut value = 0;
    while value <= top_value {
        let y = base - value * plot_height / top_value;
        canvas.fill(LEFT, y, plot_width, 1, GRID);
        canvas.number(value, LEFT - 10, y.saturating_sub(7), 3, AXIS);
        value += step;
    }
    let slots = weeks.len().max(1) as u32;
    let slot = plot_width / slots;
    let bar = (slot * 2 / 5).max(1);
    for (index, week) in weeks.iter().enumerate() {
        let x = LEFT + index as u32 * slot + slot / 10;
        for (offset, count, color) in [(0, week.done, DONE), (bar, week.overdue, OVERDUE)] {
            let height = count * plot_height / top_value;
            canvas.fill(x + offset, base - height, bar, height, color);
        }
        let scale = if slot >= 40 { 3 } else { 2 };
        canvas.number(
            index as u32 + 1,
            LEFT + index as u32 * slot + slot / 2 + 3 * scale,
            base + 12,
            scale,
            AXIS,
        );
    }
    canvas.fill(LEFT, TOP, 2, plot_height + 1, AXIS);
    canvas.fill(LEFT, base, plot_width, 2, AXIS);
    encode(&canvas.pixels)
}

fn encode(pixels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, WIDTH_PX, HEIGHT_PX);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // 150 dots per inch: the image is 20.3 cm wide, the text block's width on A4.
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: 5906,
        yppu: 5906,
        unit: png::Unit::Meter,
    }));
    // Invariant: writing to a Vec cannot fail, and the header matches the buffer's size.
    let mut writer = encoder.write_header().expect("a PNG header to memory");
    writer
        .write_image_data(pixels)
        .expect("pixels of the header's size");
    drop(writer);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use nhip_engine::Date;

    #[test]
    fn the_same_weeks_draw_the_same_png() {
        let weeks: Vec<Week> = (0..13)
            .map(|index| Week {
                start: Date(20_000 + index * 7),
                done: index as u32 % 4,
                overdue: 12 - index as u32,
            })
            .collect();
        let first = draw(&weeks);
        assert_eq!(first, draw(&weeks));
        assert_eq!(&first[..8], b"\x89PNG\r\n\x1a\n");
        assert_ne!(first, draw(&weeks[..3]));
        // No weeks at all still makes a picture (an empty scale).
        assert!(draw(&[]).len() > 100);
    }

    #[test]
    fn scales_round_up() {
        assert_eq!(scale(0), (1, 1));
        assert_eq!(scale(7), (8, 2));
        assert_eq!(scale(37), (40, 10));
        assert_eq!(scale(1234), (2000, 1000));
    }
}
