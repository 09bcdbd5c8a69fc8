//! The tabular input of a drift report: named numerical, categorical and text columns.

use serde::{Deserialize, Serialize};

use crate::DriftError;

/// How a column is tested (Evidently's numerical / categorical / text feature types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Numerical,
    Categorical,
    Text,
}

impl ColumnType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Numerical => "numerical",
            Self::Categorical => "categorical",
            Self::Text => "text",
        }
    }
}

/// One column of values; missing values are `NaN` (numerical) or `None` (categorical, text).
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Numerical(Vec<f64>),
    Categorical(Vec<Option<String>>),
    Text(Vec<Option<String>>),
}

impl Column {
    pub fn column_type(&self) -> ColumnType {
        match self {
            Self::Numerical(_) => ColumnType::Numerical,
            Self::Categorical(_) => ColumnType::Categorical,
            Self::Text(_) => ColumnType::Text,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Numerical(v) => v.len(),
            Self::Categorical(v) | Self::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Named columns of equal length, in insertion order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    columns: Vec<(String, Column)>,
}

impl Frame {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a column; its length must match the columns already present.
    pub fn push(&mut self, name: impl Into<String>, column: Column) -> Result<(), DriftError> {
        let name = name.into();
        if self.column(&name).is_some() {
            return Err(DriftError::DuplicateColumn(name));
        }
        if let Some((_, first)) = self.columns.first()
            && first.len() != column.len()
        {
            return Err(DriftError::RaggedColumn {
                column: name,
                expected: first.len(),
                got: column.len(),
            });
        }
        self.columns.push((name, column));
        Ok(())
    }

    /// Builder form of [`Frame::push`].
    pub fn with(mut self, name: impl Into<String>, column: Column) -> Result<Self, DriftError> {
        self.push(name, column)?;
        Ok(self)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    pub fn columns(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.columns.iter().map(|(n, c)| (n.as_str(), c))
    }

    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }

    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_ragged_and_duplicate_columns() {
        let f = Frame::new()
            .with("a", Column::Numerical(vec![1.0, 2.0]))
            .unwrap();
        assert!(matches!(
            f.clone().with("b", Column::Numerical(vec![1.0])),
            Err(DriftError::RaggedColumn { .. })
        ));
        assert!(matches!(
            f.with("a", Column::Numerical(vec![1.0, 2.0])),
            Err(DriftError::DuplicateColumn(_))
        ));
    }
}
