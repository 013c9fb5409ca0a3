import Shared
print("not yet built")
