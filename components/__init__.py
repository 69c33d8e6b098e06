"""Reusable Pulumi ComponentResources for the phased AWS platform.

Each module holds one component that can be used on its own: a typed ``*Args`` dataclass whose
fields document their defaults, children parented to the component and named after it, and an
explicit ``aws.Provider`` passed through ``opts`` so the component can live in any region.
"""
