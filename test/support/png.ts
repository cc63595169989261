/** PNG files for tests and benchmarks, written by pngjs: pictures to decode without a camera. */
import { PNG } from 'pngjs';

/** A smooth gradient (it compresses well, as a diagram does). */
export function gradientPng(width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) png.data.set([(x * 255) / width, (y * 255) / height, 160, 255], (y * width + x) * 4);
  }
  return PNG.sync.write(png);
}

/** Random pixels from a seed (they hardly compress, as a photo's do): about 4 bytes a pixel. */
export function noisePng(side: number, seed: number): Buffer {
  const png = new PNG({ width: side, height: side });
  let x = seed >>> 0 || 1;
  for (let i = 0; i < png.data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    png.data[i] = (i & 3) === 3 ? 255 : x & 0xff;
  }
  return PNG.sync.write(png, { deflateLevel: 1 });
}
