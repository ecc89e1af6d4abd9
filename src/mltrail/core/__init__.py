"""The pure domain: entities, errors, validation, dataset naming and the search language."""
