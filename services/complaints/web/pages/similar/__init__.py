"""Similar cases on the staff pages: beside a case, and live on the intake desk."""
