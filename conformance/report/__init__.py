"""Run results and the artifacts written from them (JSON, JUnit, Markdown, HTML, Allure, diff)."""
