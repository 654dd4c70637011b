//! `steepest predict`.

use std::io::Write;

use steepest::{Dataset, LinearModel, RowMajor};

use crate::model::{FORMAT, ModelFile};
use crate::output::write_to;
use crate::table::{self, Target};
use crate::{Failure, PredictArgs};

pub fn run(args: PredictArgs) -> Result<(), Failure> {
    let path = args.model.display().to_string();
    let text =
        std::fs::read_to_string(&args.model).map_err(|e| Failure::Data(format!("{path}: {e}")))?;
    let model: ModelFile = serde_json::from_str(&text)
        .map_err(|e| Failure::Data(format!("{path}: not a steepest model file: {e}")))?;
    if model.format != FORMAT || model.weights.len() != model.features.len() {
        return Err(Failure::Data(format!(
            "{path}: not a steepest model file (format '{}', {} weights for {} features)",
            model.format,
            model.weights.len(),
            model.features.len()
        )));
    }
    let source = args.file.display().to_string();
    let format = args.csv.format();
    let target = Target::Features(&model.features);
    let t = if args.file.as_os_str() == "-" {
        table::read(std::io::stdin().lock(), "standard input", &format, target)?
    } else {
        let file =
            std::fs::File::open(&args.file).map_err(|e| Failure::Data(format!("{source}: {e}")))?;
        table::read(
            std::io::BufReader::with_capacity(1 << 20, file),
            &source,
            &format,
            target,
        )?
    };
    let n = t.n();
    let zeros = vec![0.0f32; n];
    let view: Dataset = RowMajor::new(&t.x, &zeros, n, t.d)
        .map_err(|e| Failure::Data(format!("{source}: {e}")))?
        .into();
    let mut p = vec![0.0f32; n];
    LinearModel {
        weights: &model.weights[..],
        intercept: model.intercept,
    }
    .predict(&view, &mut p)
    .map_err(|e| Failure::Data(format!("{path}: {e}")))?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(o) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(o).map_err(|e| Failure::Data(format!("{}: {e}", o.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    write_to(&mut out, format_args!("{}\n", model.target));
    for v in p {
        write_to(&mut out, format_args!("{v}\n"));
    }
    if let Err(e) = out.flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Failure::Data(format!("cannot write the predictions: {e}")));
    }
    Ok(())
}
