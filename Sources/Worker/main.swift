import Foundation
import Shared

print("not yet built")
