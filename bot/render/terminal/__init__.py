"""The terminal face's rendering with rich: answers, assessments and eval tables."""
