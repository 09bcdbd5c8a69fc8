//! Dataset rows as Parquet (arrow + parquet crates): one fixed schema, Snappy, deterministic bytes for the
//! same rows (the dataset version's sha256 depends on it).

use std::sync::Arc;

use arrow_array::{Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::{DataError, Result};

/// One row of a dataset file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetRow {
    pub productid: i64,
    pub designation: String,
    pub description: String,
    pub prdtypecode: i64,
}

/// A row as the database returns it: (productid, designation, description, prdtypecode).
impl From<(i64, String, String, i64)> for DatasetRow {
    fn from(
        (productid, designation, description, prdtypecode): (i64, String, String, i64),
    ) -> Self {
        DatasetRow {
            productid,
            designation,
            description,
            prdtypecode,
        }
    }
}

#[cfg(test)]
impl DatasetRow {
    /// A row with a title and no description, for tests.
    pub(crate) fn titled(productid: i64, designation: &str, prdtypecode: i64) -> DatasetRow {
        DatasetRow {
            productid,
            designation: designation.into(),
            description: String::new(),
            prdtypecode,
        }
    }
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("productid", DataType::Int64, false),
        Field::new("designation", DataType::Utf8, false),
        Field::new("description", DataType::Utf8, false),
        Field::new("prdtypecode", DataType::Int64, false),
    ]))
}

pub fn to_parquet(rows: &[DatasetRow]) -> Result<Vec<u8>> {
    let batch = RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.productid),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.designation.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.description.as_str()),
            )),
            Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.prdtypecode),
            )),
        ],
    )?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema(), Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(out)
}

pub fn from_parquet(bytes: Bytes) -> Result<Vec<DatasetRow>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch?;
        let col = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| {
                DataError::InvalidArgument(format!("parquet file has no column {name}"))
            })
        };
        let ints = |name: &str| -> Result<Int64Array> {
            col(name)?
                .as_any()
                .downcast_ref::<Int64Array>()
                .cloned()
                .ok_or_else(|| DataError::InvalidArgument(format!("column {name} is not Int64")))
        };
        let strs = |name: &str| -> Result<StringArray> {
            col(name)?
                .as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .ok_or_else(|| DataError::InvalidArgument(format!("column {name} is not Utf8")))
        };
        let (pid, des, desc, code) = (
            ints("productid")?,
            strs("designation")?,
            strs("description")?,
            ints("prdtypecode")?,
        );
        for i in 0..batch.num_rows() {
            rows.push(DatasetRow {
                productid: pid.value(i),
                designation: des.value(i).to_string(),
                description: desc.value(i).to_string(),
                prdtypecode: code.value(i),
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pid: i64, text: &str, code: i64) -> DatasetRow {
        DatasetRow::titled(pid, text, code)
    }

    #[test]
    fn parquet_round_trip_is_exact_and_deterministic() {
        let rows = vec![
            row(1, "é\"x\n", 10),
            DatasetRow {
                description: "<p>a</p>".into(),
                ..row(2, "b", 40)
            },
        ];
        let a = to_parquet(&rows).unwrap();
        assert_eq!(a, to_parquet(&rows).unwrap());
        assert_eq!(from_parquet(Bytes::from(a)).unwrap(), rows);
    }
}
