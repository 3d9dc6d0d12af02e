"""Code the registry apps (land, company) share: it is not an app and registers nothing.

Everything here is pure: it reads and writes through the app's own `AppView`/`AppState`, so the keys
it touches are in the calling app's key space. Errors stay with each app (its own codes in its own
`errors.CODES`): the checks here answer with what is wrong, and the app raises it.
"""
