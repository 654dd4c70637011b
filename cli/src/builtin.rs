//! The built-in data set `steepest fit` uses without a file.

/// A sensor's reading against temperature (°C / 100) and supply voltage (V / 5),
/// `reading = 1.5·temp − 0.7·volt + 3`, measured with a little noise.
pub const SENSOR_CSV: &str = "\
temp,volt,reading
0.12,0.81,2.6120
0.25,0.26,3.1932
0.31,0.58,3.0585
0.40,0.10,3.5304
0.18,0.94,2.6125
0.52,0.42,3.4843
0.63,0.69,3.4601
0.71,0.30,3.8563
0.05,0.67,2.6050
0.88,0.15,4.2139
0.95,0.71,3.9300
0.47,0.89,3.0819
0.36,0.05,3.5063
0.77,0.53,3.7839
0.59,0.36,3.6336
0.22,0.62,2.8946
";
