/* SPDX-License-Identifier: Apache-2.0 */
/* Write a float32 FITS image with observing keywords and CHECKSUM/DATASUM
 * (cfitsio). Used for examples/dasb/ and by bench/ingest for its large image.
 * Usage: make-fits OUT.fits NAXIS1 NAXIS2 */
#include <fitsio.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: %s OUT.fits NAXIS1 NAXIS2\n", argv[0]);
    return 64;
  }
  long naxes[2] = {atol(argv[2]), atol(argv[3])};
  if (naxes[0] <= 0 || naxes[1] <= 0) {
    fprintf(stderr, "make-fits: NAXIS1 and NAXIS2 must be positive\n");
    return 64;
  }
  fitsfile* f = NULL;
  int status = 0;
  char path[4096];
  snprintf(path, sizeof path, "!%s", argv[1]); /* '!' overwrites */
  fits_create_file(&f, path, &status);
  fits_create_img(f, FLOAT_IMG, 2, naxes, &status);
  double ra = 83.633, dec = 22.0145, lat = 43.9317, lon = 5.7128, height = 650.0, equinox = 2000.0;
  fits_write_key(f, TSTRING, "DATE-OBS", "2022-07-12T21:30:00", "start of observation (UTC)", &status);
  fits_write_key(f, TSTRING, "DATE-END", "2022-07-12T23:10:00", "end of observation (UTC)", &status);
  fits_write_key(f, TSTRING, "TELESCOP", "PILOT", "balloon-borne telescope", &status);
  fits_write_key(f, TSTRING, "INSTRUME", "PILOT-BOL", "bolometer camera", &status);
  fits_write_key(f, TSTRING, "OBJECT", "Crab", "target", &status);
  fits_write_key(f, TDOUBLE, "RA", &ra, "[deg] right ascension of the pointing", &status);
  fits_write_key(f, TDOUBLE, "DEC", &dec, "[deg] declination of the pointing", &status);
  fits_write_key(f, TSTRING, "RADESYS", "FK5", "reference frame", &status);
  fits_write_key(f, TDOUBLE, "EQUINOX", &equinox, "[yr] equinox", &status);
  fits_write_key(f, TDOUBLE, "SITELAT", &lat, "[deg] launch site latitude", &status);
  fits_write_key(f, TDOUBLE, "SITELONG", &lon, "[deg] launch site longitude (east)", &status);
  fits_write_key(f, TDOUBLE, "SITEELEV", &height, "[m] launch site elevation", &status);
  fits_write_key(f, TSTRING, "BUNIT", "MJy/sr", "unit of the pixel values", &status);
  long rows_per_write = 1L << 20;
  rows_per_write /= naxes[0];
  if (rows_per_write < 1) {
    rows_per_write = 1;
  }
  float* buf = malloc(sizeof(float) * (size_t)naxes[0] * (size_t)rows_per_write);
  if (buf == NULL) {
    return 71;
  }
  for (long y = 0; y < naxes[1] && status == 0; y += rows_per_write) {
    long n = naxes[1] - y < rows_per_write ? naxes[1] - y : rows_per_write;
    for (long j = 0; j < n; ++j) {
      for (long x = 0; x < naxes[0]; ++x) {
        buf[j * naxes[0] + x] = (float)((x * 7 + (y + j) * 13) % 1000) * 0.001f;
      }
    }
    long first = y * naxes[0] + 1;
    fits_write_img(f, TFLOAT, first, n * naxes[0], buf, &status);
  }
  free(buf);
  fits_write_chksum(f, &status);
  fits_close_file(f, &status);
  if (status != 0) {
    fits_report_error(stderr, status);
    return 74;
  }
  return 0;
}
