"""GraphQL for the LADO referral export: the mutation that records an export and gives its
bundle's download path (the bundle itself is a file: ``api.files``)."""

from api.graphql.lado.mutations import LadoMutation

__all__ = ["LadoMutation"]
