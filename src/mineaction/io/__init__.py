"""Files in and out: GeoJSON, GeoPackage, zipped Shapefile, FlatGeobuf (through GDAL/pyogrio),
CSV with WKT or lon/lat columns, and XLSX."""

from mineaction.io.readers import InputFeature, SourceFile, read_file
from mineaction.io.writers import FORMATS, write_records

__all__ = ["FORMATS", "InputFeature", "SourceFile", "read_file", "write_records"]
